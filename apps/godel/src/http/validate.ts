import { GodelError } from '@godel/actors';

/** A request body or query that does not fit the route's contract (HTTP 422, problem+json). */
export class InvalidRequest extends GodelError {
  readonly code = 'request.invalid';
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

