/**
 * A revoked API key stops working within 1 s on every instance: two real server processes
 * (compiled, `npm run build`), a viewer key's tokens issued by each, the key revoked through one.
 * Real: both servers, Redis pub/sub, PostgreSQL. Mocked: nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminToken, bearer, createKey, createTestEnv, GodelCluster, login, type TestEnv } from '@godel/testing';

const DEADLINE_MS = 1000;

describe('key revocation across instances (2 server processes)', () => {
  let env: TestEnv;
  let cluster: GodelCluster;
  let root: string;

  beforeAll(async () => {
    env = await createTestEnv();
    root = await mkdtemp(join(tmpdir(), 'godel-revoke-'));
    cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_HOME: join(root, 'home'), GODEL_SHARDS: '4', GODEL_RATE_LIMIT_PER_S: '1', GODEL_RATE_LIMIT_BURST: '50' } });
    await Promise.all([cluster.start('a'), cluster.start('b')]);
  }, 60000);

  afterAll(async () => {
    await cluster?.stopAll();
    await env?.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  /** Polls `url` with `token` until it answers 401; resolves with ms since `since`. */
  async function until401(url: string, token: string, since: number): Promise<{ ms: number; code: string }> {
    for (;;) {
      const res = await fetch(`${url}/api/v1/auth/whoami`, { headers: bearer(token) });
      if (res.status === 401) return { ms: Date.now() - since, code: ((await res.json()) as { code: string }).code };
      expect(res.status).toBe(200);
      if (Date.now() - since > 5000) return { ms: Date.now() - since, code: 'still accepted' };
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('refuses the key’s access tokens on both instances within 1 s of the DELETE, and its refresh token', async () => {
    const a = cluster.members.get('a')!.url!;
    const b = cluster.members.get('b')!.url!;
    const admin = await adminToken(a, cluster.adminKey);
    const key = await createKey(a, admin, 'to-revoke', 'viewer');
    const fromA = await login(a, key.key);
    const fromB = await login(b, key.key);
    // a token works on the other instance too (shared GODEL_JWT_SECRET)
    for (const [url, t] of [[a, fromA.accessToken], [b, fromA.accessToken], [a, fromB.accessToken], [b, fromB.accessToken]]) {
      expect((await fetch(`${url}/api/v1/auth/whoami`, { headers: bearer(t) })).status).toBe(200);
    }

    const revoke = await fetch(`${a}/api/v1/auth/keys/${key.id}`, { method: 'DELETE', headers: bearer(admin) });
    const t0 = Date.now();
    expect(revoke.status).toBe(200);
    const [onA, onB, crossA, crossB] = await Promise.all([until401(a, fromA.accessToken, t0), until401(b, fromB.accessToken, t0), until401(a, fromB.accessToken, t0), until401(b, fromA.accessToken, t0)]);
    for (const r of [onA, onB, crossA, crossB]) {
      expect(r.code).toBe('auth.invalid');
      expect(r.ms).toBeLessThanOrEqual(DEADLINE_MS);
    }
    const refresh = await fetch(`${b}/api/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: fromB.refreshToken }) });
    expect(refresh.status).toBe(401);
    const relogin = await fetch(`${b}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: key.key }) });
    expect(relogin.status).toBe(401);
  }, 30000);

  it('shares one rate-limit bucket per key across instances', async () => {
    const a = cluster.members.get('a')!.url!;
    const b = cluster.members.get('b')!.url!;
    const admin = await adminToken(a, cluster.adminKey);
    const other = await createKey(a, admin, 'bucket', 'viewer');
    const token = (await login(a, other.key)).accessToken;
    // burst 50, 1 token/s: alternate instances until one says 429
    const statuses: number[] = [];
    for (let i = 0; i < 200 && !statuses.includes(429); i++) {
      statuses.push((await fetch(`${i % 2 ? a : b}/api/v1/runtime`, { headers: bearer(token) })).status);
    }
    const first429 = statuses.indexOf(429);
    expect(first429).toBeGreaterThanOrEqual(50);
    // one bucket, not one per instance (that would let 100 through)
    expect(first429).toBeLessThan(100);
  }, 60000);
});
