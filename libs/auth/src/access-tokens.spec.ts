import { SignJWT } from 'jose';
import { AccessTokens } from './access-tokens';

const SECRET = 'a'.repeat(40);
const sign = (claims: Record<string, unknown>, exp: number, secret = SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('k_1').setIssuer('godel').setAudience('godel-api').setExpirationTime(exp).sign(new TextEncoder().encode(secret));

describe('AccessTokens (HS256 JWT)', () => {
  const tokens = new AccessTokens(SECRET, 900);

  it('issues a token that verifies to the same principal and expires after the TTL', async () => {
    const before = Date.now();
    const { token, expiresAt } = await tokens.issue({ keyId: 'k_1', name: 'ci', role: 'operator' });
    expect(await tokens.verify(token)).toEqual({ keyId: 'k_1', name: 'ci', role: 'operator' });
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 900_000);
    expect(expiresAt).toBeLessThanOrEqual(before + 901_000);
  });

  it('refuses tampered, foreign-secret, expired and role-less tokens with stable codes', async () => {
    const { token } = await tokens.issue({ keyId: 'k_1', name: 'ci', role: 'viewer' });
    const [h, p, s] = token.split('.');
    const escalated = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'admin' })).toString('base64url');
    await expect(tokens.verify(`${h}.${escalated}.${s}`)).rejects.toMatchObject({ code: 'auth.invalid' });
    await expect(tokens.verify(await sign({ name: 'x', role: 'admin' }, Math.floor(Date.now() / 1000) + 60, 'b'.repeat(40)))).rejects.toMatchObject({ code: 'auth.invalid' });
    await expect(tokens.verify(await sign({ name: 'x', role: 'admin' }, Math.floor(Date.now() / 1000) - 10))).rejects.toMatchObject({ code: 'auth.expired' });
    await expect(tokens.verify(await sign({ name: 'x', role: 'root' }, Math.floor(Date.now() / 1000) + 60))).rejects.toMatchObject({ code: 'auth.invalid' });
    await expect(tokens.verify('not-a-jwt')).rejects.toMatchObject({ code: 'auth.invalid' });
  });

  it('refuses a short secret', () => {
    expect(() => new AccessTokens('short', 900)).toThrow(/at least 32/);
  });
});
