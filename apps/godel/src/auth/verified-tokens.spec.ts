import { VerifiedTokens } from './verified-tokens';

describe('VerifiedTokens', () => {
  const principal = { keyId: 'k1', name: 'ci', role: 'admin' as const };
  let now = 1_000_000;
  const clock = () => now;

  it('remembers a verified token for ttlMs, never past the token’s own expiry', () => {
    const c = new VerifiedTokens(30_000, 100, clock);
    c.put('t-long', { principal, expiresAt: now + 900_000 });
    c.put('t-short', { principal, expiresAt: now + 5_000 });
    expect(c.get('t-long')).toEqual({ principal, expiresAt: now + 900_000 });
    expect(c.get('other')).toBeUndefined();
    now += 5_000;
    expect(c.get('t-short')).toBeUndefined(); // expired: verified again (and refused) by the caller
    expect(c.get('t-long')).toBeDefined();
    now += 25_000;
    expect(c.get('t-long')).toBeUndefined(); // ttl over: the signature is checked again
  });

  it('holds at most `max` tokens (the oldest goes), and nothing when off', () => {
    const c = new VerifiedTokens(30_000, 2, clock);
    for (const t of ['a', 'b', 'c']) c.put(t, { principal, expiresAt: now + 60_000 });
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')).toBeDefined();
    expect(c.get('c')).toBeDefined();
    const off = new VerifiedTokens(0, 100, clock);
    off.put('a', { principal, expiresAt: now + 60_000 });
    expect(off.get('a')).toBeUndefined();
  });
});
