import { isRole, roleAtLeast } from './roles';
import { hashSecret, newSecret, sameSecret } from './secrets';

describe('roles', () => {
  it('orders viewer < operator < admin', () => {
    expect(roleAtLeast('admin', 'viewer')).toBe(true);
    expect(roleAtLeast('operator', 'operator')).toBe(true);
    expect(roleAtLeast('viewer', 'operator')).toBe(false);
    expect(roleAtLeast('operator', 'admin')).toBe(false);
    expect(isRole('admin')).toBe(true);
    expect(isRole('root')).toBe(false);
    expect(isRole(undefined)).toBe(false);
  });
});

describe('secrets', () => {
  it('makes 256-bit prefixed secrets, stored as SHA-256 hex, compared in constant time', () => {
    const a = newSecret('gdk');
    expect(a).toMatch(/^gdk_[A-Za-z0-9_-]{43}$/);
    expect(newSecret('gdk')).not.toBe(a);
    expect(hashSecret(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(a)).toBe(hashSecret(a));
    expect(sameSecret(a, a)).toBe(true);
    expect(sameSecret(a, `${a}x`)).toBe(false);
  });
});
