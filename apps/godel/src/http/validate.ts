import { InvalidRequest } from '../errors';

export { InvalidRequest, NotFound } from '../errors';

/** Team, agent and task names. */
export const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * The query string as single strings with only `allowed` keys (unknown or repeated keys are refused).
 * Routes with a request schema use `parseQuery` (schema.ts); this is for the event routes' own parsing.
 */
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
