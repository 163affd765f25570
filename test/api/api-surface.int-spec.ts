/**
 * The API surface of real server processes (compiled, `npm run build`): the OpenAPI document covers
 * every controller route, the docs page, the body size limit, /instances across two members, and
 * property-based fuzzing of every route listed in the document (fast-check): never a 5xx, and the
 * process stays up. Real: two servers, Redis, PostgreSQL. Mocked: nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import fc from 'fast-check';
import type { GodelConfig } from '@godel/config';
import { adminToken, bearer, createTestEnv, GodelCluster, type ClusterMember, type TestEnv } from '@godel/testing';
import { AppModule } from '../../apps/godel/src/app.module';
import { operations, requestFor, type FuzzRequest } from './openapi-fuzz';

/** Every route the app's controllers declare, as `METHOD /path/{param}` (read from Nest's metadata). */
function controllerRoutes(): string[] {
  // The app's controllers and those of the modules it imports (e.g. AuthModule's).
  const root = AppModule.forRoot({} as GodelConfig);
  const controllers = [...(root.controllers ?? [])];
  for (const m of root.imports ?? []) {
    const mod = (typeof m === 'function' ? m : (m as { module?: unknown }).module) as object | undefined;
    if (mod) controllers.push(...((Reflect.getMetadata('controllers', mod) as typeof controllers | undefined) ?? []));
    if (typeof m === 'object' && m !== null && 'controllers' in m) controllers.push(...((m as { controllers?: typeof controllers }).controllers ?? []));
  }
  const routes: string[] = [];
  for (const c of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, c) ?? '');
    for (const name of Object.getOwnPropertyNames(c.prototype)) {
      const handler = (c.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (path === undefined || method === undefined) continue;
      const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/:(\w+)/g, '{$1}');
      routes.push(`${RequestMethod[method]} ${full}`);
    }
  }
  return routes.sort();
}

async function send(base: string, r: FuzzRequest): Promise<{ status: number; type: string }> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), 10_000);
  try {
    const res = await fetch(`${base}${r.url}`, { method: r.method, headers: r.headers, body: r.body, signal: ctrl.signal });
    const type = res.headers.get('content-type') ?? '';
    // SSE answers 200 and stays open: the status is all we need.
    if (type.startsWith('text/event-stream')) await res.body?.cancel();
    else await res.arrayBuffer();
    return { status: res.status, type };
  } catch (err) {
    const cause = (err as { cause?: { message?: string; code?: string } }).cause;
    // Node refuses a request line + headers over 16 KB (431) and closes while the client may still be
    // writing: the client sees EPIPE/ECONNRESET. That is a refusal, not a failure (health is checked after).
    if (r.url.length > 16_000 && ['EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET'].includes(cause?.code ?? '')) return { status: 431, type: 'application/problem+json (connection closed)' };
    throw new Error(`${r.method} ${r.url.slice(0, 200)} (url ${r.url.length} chars, body ${r.body?.length ?? 0}): ${(err as Error).message}: ${cause?.code ?? ''} ${cause?.message ?? ''}`);
  } finally {
    clearTimeout(timer);
  }
}

describe('API surface (two real server processes)', () => {
  let env: TestEnv;
  let cluster: GodelCluster;
  let a: ClusterMember;
  let root: string;
  let token: string;
  const headers = () => bearer(token);

  beforeAll(async () => {
    env = await createTestEnv();
    root = await mkdtemp(join(tmpdir(), 'godel-api-surface-'));
    cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_HOME: join(root, 'home'), GODEL_SHARDS: '8', GODEL_RATE_LIMIT_PER_S: '100000', GODEL_RATE_LIMIT_BURST: '100000' } });
    [a] = await Promise.all([cluster.start('a'), cluster.start('b')]);
    token = await adminToken(a.url!, cluster.adminKey);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await env?.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('the OpenAPI document lists exactly the routes of every controller, each with errors as problem+json', async () => {
    const res = await fetch(`${a.url}/api/v1/openapi.json`, { headers: headers() });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Parameters<typeof operations>[0] & { openapi: string; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toMatch(/^3\./);
    const documented = operations(doc).map((o) => `${o.method} ${o.path}`).sort();
    const declared = controllerRoutes();
    expect(declared.length).toBeGreaterThan(15);
    expect(documented).toEqual(declared);
    expect(doc.components.schemas.Problem).toBeDefined();
    // bodies are documented as strict schemas
    const start = (doc.paths['/api/v1/agents'].post as { requestBody: { content: Record<string, { schema: { additionalProperties: boolean; required: string[] } }> } }).requestBody;
    expect(start.content['application/json'].schema).toMatchObject({ additionalProperties: false, required: ['team', 'name', 'repo'] });
  }, 15_000);

  it('serves a self-contained docs page (no CDN)', async () => {
    const res = await fetch(`${a.url}/api/v1/docs`, { headers: headers() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain("fetch('openapi.json')");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  }, 15_000);

  it('refuses a body over 1 MB with 413 problem+json, and unknown query parameters with 422', async () => {
    const big = await fetch(`${a.url}/api/v1/agents/web/a1/prompt`, {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(1_100_000) }),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toContain('application/problem+json');
    expect(((await big.json()) as { code: string }).code).toBe('request.too_large');
    const unknown = await fetch(`${a.url}/api/v1/events?colour=red`, { headers: headers() });
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as { detail: string }).detail).toContain('colour');
    const repeated = await fetch(`${a.url}/api/v1/agents?team=a&team=b`, { headers: headers() });
    expect(repeated.status).toBe(422);
  }, 15_000);

  it('a message type the kind does not take from clients is 403 message.not_allowed, not a 500 (nor delivered)', async () => {
    const res = await fetch(`${a.url}/api/v1/actors/counter/c1/messages`, {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'frobnicate', ask: true }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('message.not_allowed');
  }, 15_000);

  it('GET /instances lists both live members with disjoint shards covering all 8, the same from either member', async () => {
    type View = { shardCount: number; unowned: number[]; items: Array<{ instance: string; live: boolean; self: boolean; shards: number[] }> };
    const deadline = Date.now() + 20_000;
    let view: View;
    // a joining member receives idle shards over a few lease rounds: wait until both hold some
    for (;;) {
      view = (await (await fetch(`${a.url}/api/v1/instances`, { headers: headers() })).json()) as View;
      if (view.unowned.length === 0 && view.items.length === 2 && view.items.every((i) => i.shards.length > 0)) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(view.shardCount).toBe(8);
    expect(view.items.map((i) => i.instance).sort()).toEqual([...cluster.members.values()].map((m) => m.instanceId).sort());
    expect(view.items.every((i) => i.live)).toBe(true);
    expect(view.items.filter((i) => i.self).map((i) => i.instance)).toEqual([a.instanceId]);
    expect(view.items.flatMap((i) => i.shards).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const fromB = (await (await fetch(`${cluster.members.get('b')!.url}/api/v1/instances`, { headers: headers() })).json()) as View;
    expect(fromB.items.map((i) => ({ instance: i.instance, shards: i.shards }))).toEqual(view.items.map((i) => ({ instance: i.instance, shards: i.shards })));
  }, 30_000);

  it('fuzzes every documented route (random params, queries, bodies): never a 5xx, the process stays up', async () => {
    const doc = (await (await fetch(`${a.url}/api/v1/openapi.json`, { headers: headers() })).json()) as Parameters<typeof operations>[0];
    const ops = operations(doc);
    expect(ops.length).toBe(controllerRoutes().length);
    const statuses = new Map<number, number>();
    for (const op of ops) {
      const run = await fc.check(
        fc.asyncProperty(requestFor(op, headers()), async (req) => {
          const { status, type } = await send(a.url!, req);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status >= 500 || (status >= 400 && !type.includes('application/problem+json'))) {
            throw new Error(`${req.method} ${req.url.slice(0, 200)} → ${status} (${type || 'no content-type'}); body ${String(req.body).slice(0, 200)}`);
          }
        }),
        // bounded: at most 100 requests or ~1.2 s per route (≈25 s for 20 routes at worst), whichever comes first
        { numRuns: 100, interruptAfterTimeLimit: 1200, markInterruptAsFailure: false },
      );
      // a short report (fast-check's own message prints the whole counterexample, megabytes here)
      if (run.failed) throw new Error(`${op.method} ${op.path}: ${String(run.errorInstance instanceof Error ? run.errorInstance.message : run.errorInstance).slice(0, 600)} (seed ${run.seed}, path ${run.counterexamplePath})`);
      const health = await fetch(`${a.url}/health`);
      expect(health.status).toBe(200);
    }
    // the process stayed up the whole time
    const exited = await Promise.race([a.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);
    expect(exited).toBe(false);
    expect(((await (await fetch(`${a.url}/health`)).json()) as { status: string }).status).toBe('ok');
    console.log(`route fuzz: ${ops.length} routes, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  }, 60_000);
});
