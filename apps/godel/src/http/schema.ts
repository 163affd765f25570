import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { InvalidRequest } from '../errors';

/**
 * One schema per request (TypeBox: JSON Schema objects with static types). The same object validates
 * the request here, is the route's OpenAPI schema (`@BodySchema`, `@QuerySchema`) and, for intents,
 * carries the limits `prepareIntent` checks. Every refusal is `InvalidRequest` (422 request.invalid).
 */

type Json = Record<string, unknown>;

/** What a value of this schema must be, in words (for the 422 detail). */
function describe(s: TSchema): string {
  const j = s as Json;
  if (Array.isArray(j.anyOf)) {
    const consts = (j.anyOf as Json[]).map((x) => x.const);
    if (consts.every((c) => c !== undefined)) return `one of ${consts.join(', ')}`;
  }
  if (j.type === 'string') {
    if (typeof j.pattern === 'string') return `a string matching ${j.pattern}`;
    return `a string of ${(j.minLength as number | undefined) ?? 0}-${j.maxLength as number} chars`;
  }
  if (j.type === 'integer') return `a whole number from ${j.minimum as number} to ${j.maximum as number}`;
  if (j.type === 'number') return j.exclusiveMinimum === 0 ? 'a number > 0' : 'a number';
  if (j.type === 'boolean') return 'a boolean';
  if (j.type === 'object' && j.properties) {
    const fields = Object.entries(j.properties as Record<string, TSchema>).map(([k, v]) => `${k}${(j.required as string[] | undefined)?.includes(k) ? '' : '?'}: ${describe(v).replace(/^an? /, '')}`);
    return `{${fields.join(', ')}}`;
  }
  return `of type ${String(j.type)}`;
}

const field = (path: string): string => path.replace(/^\//, '').replaceAll('/', '.') || 'body';

function message(e: ValueError, root: TSchema): string {
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return `unknown field "${field(e.path)}"`;
  if (e.type === ValueErrorType.ObjectRequiredProperty) return `${field(e.path)} is required`;
  const key = field(e.path);
  if (key === 'body') return 'body must be a JSON object';
  // The whole top-level field is described (a budget: {tokens?: number > 0, costUsd?: number > 0}).
  const top = e.path.split('/')[1];
  const schema = ((root as Json).properties as Record<string, TSchema> | undefined)?.[top] ?? e.schema;
  return `${top} must be ${describe(schema)}`;
}

/** The first problem, unknown fields first (they say most about a wrong client). */
function firstProblem(schema: TSchema, value: unknown): string | undefined {
  const errors = [...Value.Errors(schema, value)];
  if (errors.length === 0) return undefined;
  const e = errors.find((x) => x.type === ValueErrorType.ObjectAdditionalProperties) ?? errors[0];
  return message(e, schema);
}

/** Top-level strings carry no NUL (paths, commands and names end up in argv, files and logs). */
function refuseNul(schema: TObject, value: Json): void {
  for (const [k, s] of Object.entries(schema.properties)) {
    if ((s as Json).type === 'string' && typeof value[k] === 'string' && (value[k] as string).includes('\u0000')) throw new InvalidRequest(`${k} must not contain NUL characters`);
  }
}

/** A JSON body checked against its schema; `optional` bodies (none sent) are `{}`. */
export function parseBody<T extends TObject>(schema: T, body: unknown, optional = false): Static<T> {
  const value = optional && (body === undefined || body === null) ? {} : body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidRequest('body must be a JSON object');
  const problem = firstProblem(schema, value);
  if (problem) throw new InvalidRequest(problem);
  refuseNul(schema, value as Json);
  return value as Static<T>;
}

/**
 * A query string checked against its schema: each key at most once, as a string of at most 1000
 * chars without NUL; integers are decimal digits. Unknown keys are refused by name; absent keys with a
 * default get it.
 */
export function parseQuery<T extends TObject>(schema: T, raw: unknown): Static<T> {
  const out: Json = {};
  if (typeof raw !== 'object' || raw === null) return out as Static<T>;
  const allowed = Object.keys(schema.properties);
  for (const [k, v] of Object.entries(raw)) {
    if (!allowed.includes(k)) throw new InvalidRequest(`unknown query parameter "${k}" (allowed: ${allowed.join(', ') || 'none'})`);
    if (typeof v !== 'string') throw new InvalidRequest(`query parameter "${k}" must be given once, as a string`);
    if (v.length > 1000 || v.includes('\u0000')) throw new InvalidRequest(`query parameter "${k}" must be at most 1000 chars, without NUL`);
    const s = schema.properties[k] as Json;
    if (s.type === 'integer') {
      const n = Number(v);
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < (s.minimum as number) || n > (s.maximum as number)) throw new InvalidRequest(`${k} must be an integer in [${s.minimum as number}, ${s.maximum as number}]`);
      out[k] = n;
    } else out[k] = v;
  }
  const problem = firstProblem(schema, out);
  if (problem) throw new InvalidRequest(problem);
  // Absent keys take the schema's default (the same default the OpenAPI document shows).
  for (const [k, s] of Object.entries(schema.properties)) if (out[k] === undefined && (s as Json).default !== undefined) out[k] = (s as Json).default;
  return out as Static<T>;
}

/** The route's OpenAPI request body: the schema `parseBody` checks. */
export function BodySchema(schema: TObject, opts: { required?: boolean } = {}): MethodDecorator {
  return ApiBody({ schema: schema as never, ...(opts.required === false ? { required: false } : {}) });
}

/** The route's OpenAPI query parameters: one per property of the schema `parseQuery` checks. */
export function QuerySchema(schema: TObject): MethodDecorator {
  const required = (schema.required ?? []) as string[];
  return applyDecorators(...Object.entries(schema.properties).map(([name, s]) => ApiQuery({ name, required: required.includes(name), schema: s as never })));
}
