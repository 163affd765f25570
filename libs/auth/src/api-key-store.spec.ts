import type { DataSource } from 'typeorm';
import { ApiKeyStore } from './api-key-store';

/** The bootstrap key's identity is pure (no query runs): the table itself is covered by test/auth. */
describe('ApiKeyStore bootstrap identity', () => {
  const noDb = {} as DataSource;
  const a = new ApiKeyStore(noDb, 'gdk_first_bootstrap_key_0123456789abcdef');
  const b = new ApiKeyStore(noDb, 'gdk_second_bootstrap_key_0123456789abcdef');

  it('names the bootstrap key by a fingerprint, so a new GODEL_ADMIN_KEY disowns the old one’s tokens', async () => {
    expect(a.bootstrapId).toMatch(/^bootstrap-[0-9a-f]{16}$/);
    expect(a.bootstrapId).not.toBe(b.bootstrapId);
    expect(a.isStaleBootstrap(a.bootstrapId)).toBe(false);
    expect(a.isStaleBootstrap(b.bootstrapId)).toBe(true);
    expect(a.isStaleBootstrap('k_0123456789abcdef')).toBe(false);
    await expect(a.authenticate('gdk_first_bootstrap_key_0123456789abcdef')).resolves.toEqual({ keyId: a.bootstrapId, name: 'bootstrap-admin', role: 'admin' });
    await expect(a.principal(a.bootstrapId)).resolves.toMatchObject({ role: 'admin' });
    await expect(a.principal(b.bootstrapId)).rejects.toMatchObject({ code: 'auth.invalid' });
    await expect(a.revoke(a.bootstrapId)).rejects.toMatchObject({ code: 'auth.key_not_found' });
  });
});
