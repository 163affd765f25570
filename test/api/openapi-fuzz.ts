/**
 * Route fuzzing driven by the OpenAPI document: every operation it lists gets random path params,
 * queries and bodies (schema-shaped and garbage: wrong types, nested junk, unicode, huge strings,
 * broken JSON, oversized bodies). Used by api-surface.int-spec.ts; nothing here knows a route.
 */
import { existsSync } from 'node:fs';
import fc from 'fast-check';

type Schema = { type?: string; pattern?: string; enum?: unknown[]; properties?: Record<string, Schema>; maxLength?: number; minimum?: number; maximum?: number };
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  parameters: Parameter[];
  body?: Schema;
}
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export function operations(doc: { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      ops.push({ method: method.toUpperCase() as Operation['method'], path, parameters: op.parameters ?? [], body: op.requestBody?.content?.['application/json']?.schema });
    }
  }
  return ops;
}

const huge = fc.integer({ min: 1000, max: 200_000 }).chain((n) => fc.constantFrom('a', 'é', '😀', '\u0000', '%', '/').map((c) => c.repeat(n)));
const weirdString = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
  { weight: 1, arbitrary: huge },
  fc.constantFrom('', ' ', '.', '..', '../../etc/passwd', 'null', 'undefined', '-1', '1e309', 'NaN', '0x10', '9'.repeat(30), '\u0000', '<script>', "'; DROP TABLE events; --", '%00', 'ü', '\u202e'),
);
const garbage: fc.Arbitrary<unknown> = fc.oneof(
  weirdString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(fc.anything(), { maxLength: 5 }),
  // deep nesting
  fc.integer({ min: 50, max: 2000 }).map((d) => JSON.parse('['.repeat(d) + ']'.repeat(d)) as unknown),
);

/** A value for one schema: mostly something that fits, often garbage. */
function valueFor(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const fits: Array<fc.Arbitrary<unknown>> = [];
  if (schema?.enum) fits.push(fc.constantFrom(...schema.enum));
  if (schema?.pattern) fits.push(fc.stringMatching(new RegExp(schema.pattern)));
  if (schema?.type === 'integer' || schema?.type === 'number') fits.push(fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 100_000, 100_000) }));
  if (schema?.type === 'boolean') fits.push(fc.boolean());
  if (schema?.type === 'string' && !schema.pattern && !schema.enum) fits.push(fc.string({ minLength: 1, maxLength: Math.min(schema.maxLength ?? 50, 50) }));
  if (schema?.type === 'object' && schema.properties) fits.push(objectFor(schema));
  return fits.length ? fc.oneof({ weight: 3, arbitrary: fc.oneof(...fits) }, { weight: 2, arbitrary: garbage }) : garbage;
}

function objectFor(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, valueFor(s)]));
  return fc.record(props, { requiredKeys: [] });
}

/** Path and query values are strings: schema-fitting ones, or weird ones. */
function paramString(p: Parameter): fc.Arbitrary<string> {
  return fc.oneof(valueFor(p.schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? 'x')), weirdString);
}

function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return 'x'; // lone surrogates cannot be encoded
  }
}

/**
 * The fuzz must never start a real agent on a real repository (it would create worktrees in it):
 * a `repo` that names an existing directory is swapped for one that does not exist.
 */
function safe(body: unknown): unknown {
  if (body && typeof body === 'object' && !Array.isArray(body) && typeof (body as { repo?: unknown }).repo === 'string') {
    const repo = (body as { repo: string }).repo;
    if (repo.includes('\u0000') ? false : existsSync(repo)) return { ...(body as object), repo: `/nonexistent-fuzz/${encode(repo).slice(0, 50)}` };
  }
  return body;
}

export function requestFor(op: Operation, headers: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const path = fc.tuple(...pathParams.map(paramString)).map((values) => values.reduce((acc, v, i) => acc.replace(`{${pathParams[i].name}}`, encode(v)), op.path));
  const query = fc
    .tuple(
      fc.subarray(queryParams).chain((ps) => fc.tuple(...ps.map((p) => paramString(p).map((v) => `${encode(p.name)}=${encode(v)}`)))),
      fc.option(fc.tuple(fc.string({ maxLength: 20 }), weirdString).map(([k, v]) => `${encode(k)}=${encode(v)}`), { freq: 4 }),
      fc.option(fc.constantFrom('team[a]=1', 'after[]=1&after[]=2', 'limit=1&limit=2', '%zz', '&&&=', 'type'), { freq: 5 }),
    )
    .map(([known, extra, odd]) => [...known, ...(extra ? [extra] : []), ...(odd ? [odd] : [])].join('&'));
  const body: fc.Arbitrary<string | undefined> =
    op.method === 'GET'
      ? fc.constant(undefined)
      : fc.oneof(
          { weight: 4, arbitrary: (op.body ? objectFor(op.body) : fc.object()).map((b) => JSON.stringify(safe(b))) },
          { weight: 2, arbitrary: garbage.map((g) => JSON.stringify(safe(g)) ?? 'null') },
          { weight: 1, arbitrary: fc.oneof(fc.string(), fc.constantFrom('{', '{"a":', '[1,', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}')) },
          { weight: 1, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.integer({ min: 900_000, max: 1_200_000 }).map((n) => JSON.stringify({ text: 'x'.repeat(n) })) },
        );
  const extraHeaders = fc.option(fc.constantFrom<Record<string, string>>({ 'last-event-id': 'abc' }, { 'last-event-id': '99999999999999999999' }, { 'content-type': 'text/plain' }, { 'last-event-id': '-1' }), { freq: 4 });
  return fc.record({ path, query, body, extra: extraHeaders }).map(({ path: p, query: q, body: b, extra }) => ({
    method: op.method,
    url: q ? `${p}?${q}` : p,
    headers: { ...headers, ...(b !== undefined ? { 'content-type': 'application/json' } : {}), ...(extra ?? {}) },
    body: b,
  }));
}
