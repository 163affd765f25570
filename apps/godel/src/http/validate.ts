import { GodelError } from '@godel/actors';

/** A request body or query that does not fit the route's contract (HTTP 422, problem+json). */
export class InvalidRequest extends GodelError {
  readonly code = 'request.invalid';
  readonly retryable = false;
}

/** An id that names nothing (HTTP 404, problem+json). */
export class NotFound extends GodelError {
  readonly code = 'resource.not_found';
  readonly retryable = false;
}

/** Team, agent and task names. */
export const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The body as an object that has only `allowed` keys. */
export function obj(body: unknown, allowed: string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequest('body must be a JSON object');
  for (const k of Object.keys(body)) if (!allowed.includes(k)) throw new InvalidRequest(`unknown field "${k}"`);
  return body as Record<string, unknown>;
}

export function str(b: Record<string, unknown>, key: string, opts: { required?: boolean; max?: number; pattern?: RegExp } = {}): string | undefined {
  const v = b[key];
  if (v === undefined) {
    if (opts.required) throw new InvalidRequest(`${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0 || v.length > (opts.max ?? 10000)) throw new InvalidRequest(`${key} must be a string of 1-${opts.max ?? 10000} chars`);
  if (v.includes('\u0000')) throw new InvalidRequest(`${key} must not contain NUL characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw new InvalidRequest(`${key} must match ${opts.pattern}`);
  return v;
}

export function checkBudget(b: Record<string, unknown>, key: string): { tokens?: number; costUsd?: number } | undefined {
  const v = b[key] as { tokens?: unknown; costUsd?: unknown } | undefined;
  if (v === undefined) return undefined;
  const ok = typeof v === 'object' && v !== null && Object.keys(v).every((k) => k === 'tokens' || k === 'costUsd');
  if (!ok || [v.tokens, v.costUsd].some((x) => x !== undefined && (typeof x !== 'number' || !(x > 0)))) {
    throw new InvalidRequest(`${key} must be {tokens?: number > 0, costUsd?: number > 0}`);
  }
  return v as { tokens?: number; costUsd?: number };
}


/** The query string as single strings with only `allowed` keys (unknown or repeated keys are refused). */
export function query(q: unknown, allowed: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (typeof q !== 'object' || q === null) return out;
  for (const [k, v] of Object.entries(q)) {
    if (!allowed.includes(k)) throw new InvalidRequest(`unknown query parameter "${k}" (allowed: ${allowed.join(', ') || 'none'})`);
    if (typeof v !== 'string') throw new InvalidRequest(`query parameter "${k}" must be given once, as a string`);
    if (v.length > 1000 || v.includes('\u0000')) throw new InvalidRequest(`query parameter "${k}" must be at most 1000 chars, without NUL`);
    out[k] = v;
  }
  return out;
}

/** An integer query value in [min, max], `fallback` when absent. */
export function int(raw: string | undefined, key: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidRequest(`${key} must be an integer in [${min}, ${max}]`);
  return n;
}
