import { AccessTokens, ApiKeyStore, AuditLog, AuthInvalidError, RateLimiter, RefreshTokens, Revocations, type Principal } from '@godel/auth';
import { VerifiedTokens } from './verified-tokens';

export interface TokenPair {
  tokenType: 'Bearer';
  accessToken: string;
  expiresAt: number;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: number;
  key: Principal;
}

/** The front door's parts, put together: keys, tokens, revocations, rate limits and the audit log. */
export class AuthService {
  constructor(
    readonly keys: ApiKeyStore,
    readonly access: AccessTokens,
    readonly refresh: RefreshTokens,
    readonly revocations: Revocations,
    readonly limiter: RateLimiter,
    readonly audit: AuditLog,
    /** Token bucket per client address for the public /auth/token and /auth/refresh. */
    readonly loginLimiter: RateLimiter,
    /** Access tokens verified in the last GODEL_AUTH_CACHE_MS (revocation is checked on every call regardless). */
    private readonly verified: VerifiedTokens = new VerifiedTokens(0),
  ) {}

  /** API key → access token + a new refresh family. */
  async login(apiKey: string): Promise<TokenPair> {
    const p = await this.keys.authenticate(apiKey);
    const r = await this.refresh.issue(p.keyId);
    return this.pair(p, r.token, r.expiresAt);
  }

  /** Refresh token → the next pair of the same family (reuse revokes the family). */
  async rotate(refreshToken: string): Promise<TokenPair> {
    const r = await this.refresh.rotate(refreshToken);
    const p = await this.keys.principal(r.keyId);
    return this.pair(p, r.token, r.expiresAt);
  }

  /** The caller behind an access token; revoked keys fail on every instance within the pub/sub delay. */
  async verify(token: string): Promise<Principal> {
    return (await this.verifyWithExpiry(token)).principal;
  }

  /** verify(), plus when the token expires (ms since the epoch). */
  async verifyWithExpiry(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    let v = this.verified.get(token);
    if (!v) {
      v = await this.access.verifyWithExpiry(token);
      this.verified.put(token, v);
    }
    const p = v.principal;
    if (this.revocations.isRevoked(p.keyId)) throw new AuthInvalidError('the API key behind this token is revoked');
    if (this.keys.isStaleBootstrap(p.keyId)) throw new AuthInvalidError('this token belongs to a previous bootstrap admin key (GODEL_ADMIN_KEY changed)');
    return v;
  }

  /** Whether a caller verified earlier still stands: long-lived responses (the SSE stream) re-check it. */
  stillValid(p: Principal): boolean {
    return !this.revocations.isRevoked(p.keyId) && !this.keys.isStaleBootstrap(p.keyId);
  }

  private async pair(p: Principal, refreshToken: string, refreshExpiresAt: number): Promise<TokenPair> {
    const a = await this.access.issue(p);
    return { tokenType: 'Bearer', accessToken: a.token, expiresAt: a.expiresAt, expiresIn: this.access.ttlS, refreshToken, refreshExpiresAt, key: p };
  }
}
