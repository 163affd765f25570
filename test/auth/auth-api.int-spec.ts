/**
 * The front door of an in-process Godel app (AppModule, the same module the server runs): every
 * route from Nest's route table refuses a missing or bad token (401) and a too-weak role (403),
 * rate limits answer 429 with Retry-After, refresh tokens rotate and a reused one kills its family,
 * mutations land in the audit log. Real: Nest + Express over HTTP, Redis, PostgreSQL. Mocked: nothing.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { createKey, createTestEnv, login, type TestEnv } from '@godel/testing';
import { AppModule } from '../../apps/godel/src/app.module';
import { expressRoutes, routeTable, sampleUrl, type RouteInfo } from './route-table';

const PUBLIC = ['GET /api/v1/docs', 'GET /api/v1/openapi.json', 'GET /dashboard', 'GET /dashboard/:file', 'GET /health', 'GET /metrics', 'GET /ready', 'POST /api/v1/auth/refresh', 'POST /api/v1/auth/token'];
const RATE = { perSecond: 2, burst: 20 };

describe('auth over HTTP (in-process app, route table from Nest metadata)', () => {
  let env: TestEnv;
  let app: INestApplication;
  let url: string;
  let home: string;
  let routes: RouteInfo[];
  let admin: string;
  let bootstrapId: string;
  let viewer: { id: string; key: string; token: string };
  let operator: { id: string; key: string; token: string };

  const call = async (method: string, path: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    const res = await fetch(`${url}${path}`, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(o.body ?? {}) });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON (metrics)
    }
    return { status: res.status, headers: res.headers, body };
  };

  beforeAll(async () => {
    env = await createTestEnv({ shardCount: 4 });
    home = await mkdtemp(join(tmpdir(), 'godel-auth-'));
    const config = { ...env.config, homeDir: home, auth: { ...env.config.auth, rateLimit: RATE } };
    const root: DynamicModule = { module: class AuthTestRoot {}, imports: [AppModule.forRoot(config), DiscoveryModule] };
    app = await NestFactory.create(root, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    routes = routeTable(app);
    const adminLogin = await login(url, env.adminKey);
    admin = adminLogin.accessToken;
    bootstrapId = adminLogin.key.keyId;
    expect(bootstrapId).toMatch(/^bootstrap-[0-9a-f]{16}$/);
    const v = await createKey(url, admin, 'viewer-1', 'viewer');
    const o = await createKey(url, admin, 'operator-1', 'operator');
    viewer = { ...v, token: (await login(url, v.key)).accessToken };
    operator = { ...o, token: (await login(url, o.key)).accessToken };
  }, 60000);

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('reads the whole route table: every route Express serves, each declaring @Public or a role', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(expressRoutes(app));
    const undeclared = routes.filter((r) => r.access === undefined).map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`);
    expect(undeclared).toEqual([]);
    expect(routes.filter((r) => r.access?.public).map((r) => `${r.method} ${r.path}`).sort()).toEqual(PUBLIC);
  });

  it('follows the role policy: reads are viewer, mutations at least operator; keys, audit, dead letters, repositories, raw actor messages and federation commands admin', () => {
    const ADMIN = [
      '/api/v1/auth/audit',
      '/api/v1/dead-letters',
      '/api/v1/actors/:kind/:key/messages',
      // The federation's operator commands and an instance's process stats (issue 12).
      '/api/v1/federation/instances/:id/drain',
      '/api/v1/federation/instances/:id/undrain',
      '/api/v1/federation/rebalance',
      '/api/v1/federation/instances/:id/stats',
    ];
    for (const r of routes) {
      if (!r.access || r.access.public) continue;
      const where = `${r.method} ${r.path}`;
      if (r.path.startsWith('/api/v1/auth/keys') || ADMIN.includes(r.path) || (r.path === '/api/v1/repos' && r.method !== 'GET')) expect([where, r.access.role]).toEqual([where, 'admin']);
      else if (r.method === 'GET') expect([where, r.access.role]).toEqual([where, 'viewer']);
      else expect([where, ['operator', 'admin'].includes(r.access.role)]).toEqual([where, true]);
    }
  });

  it('answers 401 problem+json on every non-public route without a token, and with a bad one', async () => {
    const guarded = routes.filter((r) => r.access && !r.access.public);
    for (const r of guarded) {
      const none = await call(r.method, sampleUrl(r.path));
      expect([r.method, r.path, none.status, none.body.code]).toEqual([r.method, r.path, 401, 'auth.missing']);
      expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const bad = await call(r.method, sampleUrl(r.path), { token: `${admin.slice(0, -4)}AAAA` });
      expect([r.method, r.path, bad.status, bad.body.code]).toEqual([r.method, r.path, 401, 'auth.invalid']);
    }
    const garbage = await call('GET', '/api/v1/runtime', { headers: { authorization: 'Basic abc' } });
    expect([garbage.status, garbage.body.code]).toEqual([401, 'auth.invalid']);
  }, 60000);

  it('answers 403 on every route whose role is stronger than the caller’s (viewer on mutations, operator on admin routes)', async () => {
    const checks = routes.flatMap((r) => {
      if (!r.access || r.access.public) return [];
      const out: Array<{ r: RouteInfo; who: string; token: string }> = [];
      if (r.access.role !== 'viewer') out.push({ r, who: 'viewer', token: viewer.token });
      if (r.access.role === 'admin') out.push({ r, who: 'operator', token: operator.token });
      return out;
    });
    expect(checks.length).toBeGreaterThanOrEqual(8);
    for (const { r, who, token } of checks) {
      const res = await call(r.method, sampleUrl(r.path), { token });
      expect([r.method, r.path, who, res.status, res.body.code]).toEqual([r.method, r.path, who, 403, 'auth.forbidden']);
    }
    // and the role that suffices gets past the guard (whatever the route then says about the body)
    const ok = await call('GET', '/api/v1/runtime', { token: viewer.token });
    expect(ok.status).toBe(200);
    const whoami = await call('GET', '/api/v1/auth/whoami', { token: operator.token });
    expect(whoami.body).toEqual({ keyId: operator.id, name: 'operator-1', role: 'operator' });
  }, 60000);

  it('rate-limits per key: 429 problem+json with Retry-After past the burst; other keys unaffected', async () => {
    const k = await createKey(url, admin, 'burst', 'viewer');
    const token = (await login(url, k.key)).accessToken;
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    let allowed = 0;
    for (let i = 0; i < RATE.burst * 3 && !limited; i++) {
      const res = await call('GET', '/api/v1/runtime', { token });
      if (res.status === 429) limited = res;
      else {
        expect(res.status).toBe(200);
        allowed++;
      }
    }
    expect(limited).toBeDefined();
    expect(allowed).toBeGreaterThanOrEqual(RATE.burst);
    expect(limited!.body.code).toBe('rate.limited');
    expect(limited!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await call('GET', '/api/v1/runtime', { token: viewer.token })).status).toBe(200);
  }, 30000);

  it('rotates refresh tokens; reusing a spent one revokes its whole family', async () => {
    const first = await login(url, env.adminKey);
    const r1 = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(first.refreshToken);
    expect((await call('GET', '/api/v1/auth/whoami', { token: r1.body.accessToken })).status).toBe(200);
    const r2 = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken } });
    expect(r2.status).toBe(200);

    // the first token again: a leak. The family dies, including the newest token.
    const reuse = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect([reuse.status, reuse.body.code]).toEqual([401, 'auth.refresh_reused']);
    const newest = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: r2.body.refreshToken } });
    expect([newest.status, newest.body.code]).toEqual([401, 'auth.invalid']);
    const unknown = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: 'gdr_nope' } });
    expect([unknown.status, unknown.body.code]).toEqual([401, 'auth.invalid']);
    // another login starts a new family
    const again = await login(url, env.adminKey);
    expect((await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: again.refreshToken } })).status).toBe(200);
    const rows = (await env.dataSource.query(`SELECT count(*)::int AS n FROM refresh_families WHERE revoked_reason = 'refresh token reused'`)) as Array<{ n: number }>;
    expect(rows[0].n).toBe(1);
  });

  it('creates, lists (without secrets) and revokes keys; a revoked key cannot log in or refresh; bad input is 422/404', async () => {
    const k = await createKey(url, admin, 'temp', 'operator');
    const tokens = await login(url, k.key);
    const listed = await call('GET', '/api/v1/auth/keys', { token: admin });
    expect(listed.status).toBe(200);
    const mine = listed.body.items.find((i: { id: string }) => i.id === k.id);
    expect(mine).toMatchObject({ id: k.id, name: 'temp', role: 'operator', revokedAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(k.key);
    const stored = (await env.dataSource.query(`SELECT key_hash FROM api_keys WHERE id = $1`, [k.id])) as Array<{ key_hash: string }>;
    expect(stored[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored[0].key_hash).not.toContain(k.key);

    const revoked = await call('DELETE', `/api/v1/auth/keys/${k.id}`, { token: admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await call('GET', '/api/v1/auth/whoami', { token: tokens.accessToken })).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/token', { body: { key: k.key } })).body.code).toBe('auth.invalid');
    expect((await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } })).body.code).toBe('auth.invalid');
    expect((await call('GET', '/api/v1/auth/keys', { token: admin })).body.items.map((i: { id: string }) => i.id)).not.toContain(k.id);

    expect((await call('DELETE', '/api/v1/auth/keys/k_missing', { token: admin })).body.code).toBe('auth.key_not_found');
    expect((await call('DELETE', `/api/v1/auth/keys/${bootstrapId}`, { token: admin })).status).toBe(404);
    const badRole = await call('POST', '/api/v1/auth/keys', { token: admin, body: { name: 'x', role: 'root' } });
    expect([badRole.status, badRole.body.code]).toEqual([422, 'request.invalid']);
    const extra = await call('POST', '/api/v1/auth/keys', { token: admin, body: { name: 'x', role: 'viewer', secret: 'y' } });
    expect(extra.status).toBe(422);
    expect((await call('POST', '/api/v1/auth/token', { body: { key: 'gdk_wrong' } })).body.code).toBe('auth.invalid');
  });

  it('writes an audit row for every authenticated mutation, with who, route, target, status and request id (none for anonymous calls)', async () => {
    const created = await call('POST', '/api/v1/auth/keys', { token: admin, body: { name: 'audited', role: 'viewer' }, headers: { 'x-request-id': 'req-audit-1' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe('req-audit-1');
    const refused = await call('POST', '/api/v1/actors/counter/a1/messages', { token: viewer.token, body: { type: 'inc' }, headers: { 'x-request-id': 'req-audit-2' } });
    expect(refused.status).toBe(403);
    const anonymous = await call('DELETE', `/api/v1/auth/keys/${created.body.id}`, { headers: { 'x-request-id': 'req-audit-3' } });
    expect(anonymous.status).toBe(401);
    const sent = await call('POST', '/api/v1/actors/counter/a1/messages', { token: admin, body: { type: 'inc', payload: { by: 1 } } });
    expect(sent.status).toBe(202);
    const generated = sent.headers.get('x-request-id')!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const read = await call('GET', '/api/v1/runtime', { token: admin, headers: { 'x-request-id': 'req-audit-get' } });
    expect(read.status).toBe(200);

    const rows = async () =>
      (await env.dataSource.query(`SELECT request_id, key_id, key_name, role, method, route, path, target, status, at FROM audit_log WHERE request_id = ANY($1) ORDER BY id`, [
        ['req-audit-1', 'req-audit-2', 'req-audit-3', generated, 'req-audit-get'],
      ])) as Array<Record<string, unknown>>;
    let got = await rows();
    for (let i = 0; got.length < 3 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
      got = await rows();
    }
    expect(got.map(({ at: _at, ...r }) => r)).toEqual([
      { request_id: 'req-audit-1', key_id: bootstrapId, key_name: 'bootstrap-admin', role: 'admin', method: 'POST', route: '/api/v1/auth/keys', path: '/api/v1/auth/keys', target: null, status: 201 },
      { request_id: 'req-audit-2', key_id: viewer.id, key_name: 'viewer-1', role: 'viewer', method: 'POST', route: '/api/v1/actors/:kind/:key/messages', path: '/api/v1/actors/counter/a1/messages', target: 'counter/a1', status: 403 },
      { request_id: generated, key_id: bootstrapId, key_name: 'bootstrap-admin', role: 'admin', method: 'POST', route: '/api/v1/actors/:kind/:key/messages', path: '/api/v1/actors/counter/a1/messages', target: 'counter/a1', status: 202 },
    ]);
    const listed = await call('GET', '/api/v1/auth/audit?requestId=req-audit-1', { token: admin });
    expect(listed.body.items[0]).toMatchObject({ requestId: 'req-audit-1', keyName: 'bootstrap-admin', status: 201 });
    expect(listed.body.items).toHaveLength(1);
  });

  it('takes ?access_token= on the SSE stream only (EventSource cannot send headers), still checking it', async () => {
    expect(routes.filter((r) => r.queryToken).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/events/stream']);
    const stream = async (query: string) => {
      const abort = new AbortController();
      const res = await fetch(`${url}/api/v1/events/stream?${query}`, { signal: abort.signal });
      const first: any = res.status === 200 ? new TextDecoder().decode((await res.body!.getReader().read()).value) : await res.json();
      abort.abort();
      return { status: res.status, type: res.headers.get('content-type'), first };
    };
    const ok = await stream(`as=message&access_token=${encodeURIComponent(viewer.token)}`);
    expect([ok.status, ok.type]).toEqual([200, 'text/event-stream']);
    expect(ok.first).toContain(': godel event stream');
    expect((await stream(`access_token=${admin.slice(0, -4)}AAAA`)).first.code).toBe('auth.invalid');
    expect((await stream('access_token=')).status).toBe(401);
    expect((await stream('after=0')).first.code).toBe('auth.missing');
    expect((await stream(`as=named&access_token=${encodeURIComponent(viewer.token)}`)).status).toBe(422);
    // the same token in the query of any other route counts for nothing
    for (const path of ['/api/v1/events', '/api/v1/runtime', '/api/v1/teams', '/api/v1/auth/whoami']) {
      const res = await call('GET', `${path}?access_token=${encodeURIComponent(admin)}`);
      expect([path, res.status, res.body.code]).toEqual([path, 401, 'auth.missing']);
    }
    const del = await call('DELETE', `/api/v1/auth/keys/${viewer.id}?access_token=${encodeURIComponent(admin)}`);
    expect([del.status, del.body.code]).toEqual([401, 'auth.missing']);
  });

  it('ends an open event stream when its key is revoked (the token was checked only at connect)', async () => {
    const k = await createKey(url, admin, 'watcher', 'viewer');
    const token = (await login(url, k.key)).accessToken;
    const abort = new AbortController();
    const res = await fetch(`${url}/api/v1/events/stream?as=message&access_token=${encodeURIComponent(token)}`, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(': godel event stream');
    expect((await call('DELETE', `/api/v1/auth/keys/${k.id}`, { token: admin })).status).toBe(200);
    // the server ends the response: the next reads drain whatever came before and then report done
    const bound = setTimeout(() => abort.abort(), 10_000);
    let done = false;
    try {
      while (!done) done = (await reader.read()).done;
    } finally {
      clearTimeout(bound);
    }
    expect(done).toBe(true);
    expect(abort.signal.aborted).toBe(false);
    // and it cannot come back
    const again = await fetch(`${url}/api/v1/events/stream?access_token=${encodeURIComponent(token)}`);
    expect([again.status, ((await again.json()) as { code: string }).code]).toEqual([401, 'auth.invalid']);
  });

  it('serves the dashboard page publicly, same-origin scripts only; nothing else under /dashboard', async () => {
    const page = await fetch(`${url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="/dashboard/app.js"></script>');
    const js = await fetch(`${url}/dashboard/app.js`);
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(await js.text()).toContain('/api/v1/auth/token');
    for (const f of ['nope.js', 'index.html', '..%2Fdashboard.controller.ts', '%2e%2e%2fapp.module.ts']) {
      const res = await fetch(`${url}/dashboard/${f}`);
      expect([f, res.status]).toEqual([f, 404]);
    }
  });

  it('keeps /health, /ready and /metrics open', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/ready')).status).toBe(200);
    expect((await call('GET', '/metrics')).status).toBe(200);
  });
});
