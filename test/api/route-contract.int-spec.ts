/**
 * The contract of every route, generated from Nest's route table (so a new route cannot be missed):
 * a body with an unknown field is refused with 422 `request.invalid`, and an unknown id in the path
 * is 404 — with every other path parameter naming something that exists. Real: the AppModule in
 * process over HTTP, Redis, PostgreSQL, a real pi agent (offline scripted model) and a real team.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { createKey, createSampleRepo, createTestEnv, login, type TestEnv } from '@godel/testing';
import { AppModule } from '../../apps/godel/src/app.module';
import { routeTable, type RouteInfo } from '../auth/route-table';

/** Path parameters that are not ids: a wrong value is a bad request (or, for virtual actors, not a thing that can be missing). */
const NOT_IDS: Record<string, string> = {
  action: 'an enum of actions: a wrong one is 422',
  key: 'actors are virtual (Orleans-style): every key of a known kind exists',
};
const UNKNOWN = 'zz-unknown-0';

describe('route contract (generated from the route table)', () => {
  let env: TestEnv;
  let app: INestApplication;
  let url: string;
  let home: string;
  let routes: RouteInfo[];
  let token: string;
  const known: Record<string, string> = { kind: 'counter', key: 'c1', action: 'prompt', name: 'a1', file: 'app.js' };
  /** A valid body per route, so the 404 check is about the id and nothing else. */
  const validBody = (r: RouteInfo): unknown => (r.path.endsWith('/:action') ? { text: 'hello' } : r.path.includes('/messages') ? { type: 'get' } : {});

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(body ?? {}),
    });
    const text = await res.text();
    let parsed: { code?: string; detail?: string } = {};
    try {
      parsed = JSON.parse(text) as { code?: string; detail?: string };
    } catch {
      // not JSON (static files)
    }
    return { status: res.status, code: parsed.code, detail: parsed.detail };
  };
  const fill = (path: string, values: Record<string, string>) => path.replace(/:([A-Za-z0-9_]+)/g, (_, p: string) => values[p] ?? `missing-${p}`);

  beforeAll(async () => {
    env = await createTestEnv({ shardCount: 4 });
    home = await mkdtemp(join(tmpdir(), 'godel-contract-'));
    const config = { ...env.config, homeDir: home, auth: { ...env.config.auth, rateLimit: { perSecond: 100_000, burst: 100_000 } } };
    const root: DynamicModule = { module: class ContractRoot {}, imports: [AppModule.forRoot(config), DiscoveryModule] };
    app = await NestFactory.create(root, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    routes = routeTable(app);
    token = (await login(url, env.adminKey)).accessToken;
    known.id = (await createKey(url, token, 'contract', 'viewer')).id;
    const repo = await createSampleRepo(home);
    // An agent and a team that exist (the team is cancelled at once; it still exists).
    expect((await call('POST', '/api/v1/agents', { team: 'web', name: 'a1', repo })).status).toBe(201);
    const workflowYaml = 'name: one\ndescription: d\ntasks:\n  - id: only\n    title: Only\n    prompt: Write only.txt\n';
    const res = await fetch(`${url}/api/v1/intents`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ intent: 'contract', repo, workflowYaml }) });
    expect(res.status).toBe(202);
    known.team = ((await res.json()) as { team: string }).team;
    known.task = 'only';
    // The federation's instance routes name this server's own instance (issue 12).
    known.instance = ((await (await fetch(`${url}/api/v1/federation`, { headers: { authorization: `Bearer ${token}` } })).json()) as { members: Array<{ id: string }> }).members[0].id;
    expect((await call('POST', `/api/v1/teams/${known.team}/cancel`, {})).status).toBe(200);
    // The web team for agent routes is `web`; for team routes the intent's team.
  }, 90_000);

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const params = (r: RouteInfo): Record<string, string> => ({ ...known, name: r.path.startsWith('/api/v1/workflows') ? 'feature' : known.name, team: r.path.startsWith('/api/v1/agents') || r.path.startsWith('/api/v1/sessions') || r.path.endsWith('/usage') ? 'web' : known.team, id: r.path.startsWith('/api/v1/intents') ? `intent-${known.team}` : r.path.startsWith('/api/v1/federation/instances') ? known.instance : known.id });

  it('refuses a body with an unknown field with 422 request.invalid, on every route that reads a body', async () => {
    const withBody = routes.filter((r) => r.takesBody);
    expect(withBody.length).toBeGreaterThanOrEqual(8);
    const results = [];
    for (const r of withBody) {
      const res = await call(r.method, fill(r.path, params(r)), { __unknown__: 1 });
      results.push([r.method, r.path, res.status, res.code]);
    }
    expect(results).toEqual(withBody.map((r) => [r.method, r.path, 422, 'request.invalid']));
  }, 60_000);

  it('answers 404 for an unknown id in the path of every route (other parameters naming things that exist)', async () => {
    const checks: Array<{ r: RouteInfo; param: string }> = [];
    for (const r of routes) for (const m of r.path.matchAll(/:([A-Za-z0-9_]+)/g)) if (!NOT_IDS[m[1]]) checks.push({ r, param: m[1] });
    expect(checks.length).toBeGreaterThanOrEqual(15);
    const results = [];
    for (const { r, param } of checks) {
      // Known-good first: the route answers for what exists, so the 404 below is about the id.
      const ok = await call(r.method, fill(r.path, params(r)), validBody(r));
      const res = await call(r.method, fill(r.path, { ...params(r), [param]: UNKNOWN }), validBody(r));
      results.push([r.method, r.path, param, ok.status < 400 || ok.status === 409 ? 'exists' : `known gave ${ok.status} ${ok.code} ${ok.detail}`, res.status]);
    }
    expect(results).toEqual(checks.map(({ r, param }) => [r.method, r.path, param, 'exists', 404]));
  }, 120_000);
});
