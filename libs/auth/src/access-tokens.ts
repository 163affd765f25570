import { SignJWT, errors, jwtVerify } from 'jose';
import { AuthExpiredError, AuthInvalidError } from './errors';
import { isRole, type Principal } from './roles';

const ISSUER = 'godel';
const AUDIENCE = 'godel-api';

/** Short-lived HS256 JWT access tokens that carry the API key's id, name and role. */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly ttlS: number,
  ) {
    if (secret.length < 32) throw new Error('access token secret must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
  }

  async issue(p: Principal): Promise<{ token: string; expiresAt: number }> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ name: p.name, role: p.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(p.keyId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlS)
      .sign(this.key);
    return { token, expiresAt: (now + this.ttlS) * 1000 };
  }

  async verify(token: string): Promise<Principal> {
    return (await this.verifyWithExpiry(token)).principal;
  }

  /** The caller and when the token expires (ms): long-lived responses (SSE) end then. */
  async verifyWithExpiry(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.name !== 'string' || !isRole(payload.role)) throw new AuthInvalidError('access token lacks key id, name or role');
      if (typeof payload.exp !== 'number') throw new AuthInvalidError('access token has no expiry');
      return { principal: { keyId: payload.sub, name: payload.name, role: payload.role }, expiresAt: payload.exp * 1000 };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AuthExpiredError('access token expired: refresh it (POST /api/v1/auth/refresh)');
      if (err instanceof AuthInvalidError) throw err;
      throw new AuthInvalidError('access token is not valid');
    }
  }
}
