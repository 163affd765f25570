/**
 * The agent routes of a real Godel server process (compiled, `npm run build`): start an agent over
 * HTTP, watch it, fork it, read its events and the session tree; bad requests. Real: the server,
 * Redis, PostgreSQL, git, pi; the server's own offline scripted model with a scripts folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminToken, bearer, createSampleRepo, createTestEnv, GodelCluster, type ClusterMember, type TestEnv } from '@godel/testing';

describe('agents over HTTP (real server process, offline scripted model)', () => {
  let env: TestEnv;
  let cluster: GodelCluster;
  let server: ClusterMember;
  let root: string;
  let repo: string;
  let token: string;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: bearer(token, { 'content-type': 'application/json' }), body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    env = await createTestEnv();
    root = await mkdtemp(join(tmpdir(), 'godel-api-'));
    repo = await createSampleRepo(root);
    const scripts = join(root, 'scripts');
    await mkdir(scripts);
    await writeFile(
      join(scripts, 'demo.yaml'),
      [
        'scripts:',
        '  note:',
        '    - toolCalls: [{ name: write, arguments: { path: NOTES.md, content: "written by the agent\\n" } }]',
        '    - text: wrote NOTES.md',
        '    - text: the fork says hello',
        '',
      ].join('\n'),
    );
    cluster = new GodelCluster({
      redisUrl: env.redisUrl,
      databaseUrl: env.databaseUrl,
      keyPrefix: env.keyPrefix,
      schema: env.schema,
      env: { GODEL_HOME: join(root, 'home'), GODEL_SCRIPTS_DIR: scripts, GODEL_SHARDS: '4' },
    });
    server = await cluster.start('api');
    token = await adminToken(server.url!, cluster.adminKey);
  }, 60000);

  afterAll(async () => {
    await cluster?.stopAll();
    await env?.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  async function until(path: string, pred: (b: Record<string, any>) => boolean): Promise<Record<string, any>> {
    const end = Date.now() + 30000;
    for (;;) {
      const r = await call('GET', path);
      if (pred(r.body)) return r.body;
      if (Date.now() > end) throw new Error(`timeout waiting on ${path}: ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 150));
    }
  }

  it('says it runs offline on the scripted model', async () => {
    expect((await call('GET', '/api/v1/models')).body).toEqual({ offline: true, providers: ['scripted model (offline)'] });
  });

  it('starts an agent, shows its progress and events, forks it, lists the session tree', async () => {
    const started = await call('POST', '/api/v1/agents', { team: 'web', name: 'a1', repo, prompt: '[script:note] write the notes' });
    expect(started.status).toBe(201);
    expect(started.body.status).toBe('running');
    const idle = await until('/api/v1/agents/web/a1', (b) => b.status === 'idle');
    expect(existsSync(join(idle.worktree, 'NOTES.md'))).toBe(true);
    const events = await call('GET', '/api/v1/agents/web/a1/events');
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['agent.started', 'agent.tool_started', 'agent.turn_completed']));

    const fork = await call('POST', '/api/v1/agents/web/a1/fork', { name: 'a2' });
    expect(fork.status).toBe(202);
    expect(fork.body.parent.agent).toBe('agent/web:a1');
    await call('POST', '/api/v1/agents/web/a2/prompt', { text: 'say hello' });
    await until('/api/v1/agents/web/a2', (b) => b.status === 'idle');
    const tree = await call('GET', '/api/v1/sessions/web');
    expect(tree.body.items.map((i: { agent: string; parent: string | null }) => [i.agent, i.parent])).toEqual(
      expect.arrayContaining([
        ['agent/web:a1', null],
        ['agent/web:a2', 'agent/web:a1'],
      ]),
    );
    const listed = await call('GET', '/api/v1/agents?team=web');
    expect(listed.body.items.map((i: { address: string }) => i.address)).toEqual(['agent/web:a1', 'agent/web:a2']);
    const usage = await call('GET', '/api/v1/teams/web/usage');
    expect(usage.body).toMatchObject({ team: 'web', agents: 2 });
    expect(usage.body.total).toBeGreaterThan(0);
    const stopped = await call('POST', '/api/v1/agents/web/a2/stop', {});
    expect(stopped.body.status).toBe('stopped');
  }, 90000);

  it('exposes Prometheus metrics: runtime gauges, runtime events, process defaults', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^godel_owned_shards 4$/m);
    expect(text).toMatch(/^godel_runtime_events_total\{type="shard.acquired"\} 4$/m);
    expect(text).toMatch(/^godel_process_cpu_user_seconds_total /m);
  });

  it('answers bad requests with problem+json and a stable code', async () => {
    for (const [method, path, body] of [
      ['POST', '/api/v1/agents', { team: 'web', name: 'x' }],
      ['POST', '/api/v1/agents', { team: 'Bad Team', name: 'x', repo }],
      ['POST', '/api/v1/agents', { team: 'web', name: 'x', repo, extra: 1 }],
      ['POST', '/api/v1/agents', { team: 'web', name: 'x', repo, budget: { tokens: -1 } }],
      ['POST', '/api/v1/agents', { team: 'web', name: 'x', repo, teamBudget: { dollars: 5 } }],
      ['GET', '/api/v1/teams/Bad!/usage', undefined],
      ['POST', '/api/v1/agents/web/a1/dance', {}],
      ['POST', '/api/v1/agents/web/a1/prompt', { text: '' }],
      ['GET', '/api/v1/agents/web/a1/events?limit=0', undefined],
    ] as const) {
      const r = await call(method, path, body);
      expect({ path, status: r.status, code: r.body.code }).toEqual({ path, status: 422, code: 'request.invalid' });
    }
  });
});
