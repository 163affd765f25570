import type { Principal } from '@godel/auth';

/**
 * Access tokens verified recently (issue 13): an HS256 check through WebCrypto was the largest
 * single CPU cost of an authenticated GET (CPU profile of bench:api at 500 req/s). A token is
 * remembered for at most `ttlMs` and never past its own expiry, keyed by the whole token (a hit
 * needs the exact signed string). Revocation is not cached: the caller checks it on every request.
 */
export class VerifiedTokens {
  private readonly seen = new Map<string, { principal: Principal; expiresAt: number; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): { principal: Principal; expiresAt: number } | undefined {
    const hit = this.seen.get(token);
    if (!hit) return undefined;
    if (this.now() >= hit.until) {
      this.seen.delete(token);
      return undefined;
    }
    return { principal: hit.principal, expiresAt: hit.expiresAt };
  }

  put(token: string, v: { principal: Principal; expiresAt: number }): void {
    if (this.ttlMs <= 0) return;
    // The oldest entry goes first (Map keeps insertion order).
    if (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(token, { ...v, until: Math.min(v.expiresAt, this.now() + this.ttlMs) });
  }
}
