/**
 * The server commands of the `godel` CLI (agent, events, instances, metrics) as users run them: the
 * compiled CLI (`npm run build` first) as a child process against a real compiled server
 * (GodelCluster) on the machine's Redis and PostgreSQL, with the server's offline scripted model.
 * Mocked: nothing. Every child is bounded in time.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inheritedEnv } from '@godel/config';
import { adminToken, bearer, createSampleRepo, createTestEnv, GodelCluster, type ClusterMember, type TestEnv } from '@godel/testing';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The server's admin key, given to every CLI run as GODEL_API_KEY. */
let API_KEY = '';

function godel(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000, onStderr?: (stderr: string) => void): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...inheritedEnv(), GODEL_URL: '', GODEL_API_KEY: API_KEY, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    onStderr?.(stderr);
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

const lines = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

describe('godel agent | events | instances | metrics (real server process)', () => {
  let env: TestEnv;
  let cluster: GodelCluster;
  let server: ClusterMember;
  let root: string;
  let url: string;
  let token: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: bearer(token, { 'content-type': 'application/json' }), body: body === undefined ? undefined : JSON.stringify(body) });
    return (await res.json()) as Record<string, any>;
  };

  beforeAll(async () => {
    env = await createTestEnv();
    root = await mkdtemp(join(tmpdir(), 'godel-cli-server-'));
    cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_HOME: join(root, 'home'), GODEL_SHARDS: '4' } });
    server = await cluster.start('cli');
    url = server.url!;
    token = await adminToken(url, cluster.adminKey);
    API_KEY = cluster.adminKey;
    // one agent that has run a turn (offline scripted model), so there are events and a session to fork
    const repo = await createSampleRepo(root);
    await api('POST', '/api/v1/agents', { team: 'web', name: 'a1', repo, prompt: 'hello' });
    const end = Date.now() + 30_000;
    while ((await api('GET', '/api/v1/agents/web/a1')).status !== 'idle') {
      if (Date.now() > end) throw new Error('agent web/a1 did not become idle');
      await new Promise((r) => setTimeout(r, 150));
    }
  }, 90_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await env?.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('agent list / get, human and --json, with --url', async () => {
    const list = await godel(['agent', 'list', '--url', url, '--json']);
    expect(list.code).toBe(0);
    const doc = JSON.parse(list.stdout) as { items: Array<{ address: string; state: { status: string } }> };
    expect(doc.items.map((i) => [i.address, i.state.status])).toEqual([['agent/web:a1', 'idle']]);
    const human = await godel(['agent', 'list', '--team', 'web'], { GODEL_URL: url });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^AGENT\s+STATUS/m);
    expect(human.stdout).toMatch(/^web\/a1\s+idle/m);
    const get = await godel(['agent', 'get', 'web/a1', '--url', url, '--json']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ team: 'web', name: 'a1', status: 'idle' });
  }, 30_000);

  it('agent steer / fork / abort / stop change the agent and exit 0', async () => {
    const steer = await godel(['agent', 'steer', 'web/a1', 'keep', 'it', 'short', '--url', url, '--json']);
    expect(steer.code).toBe(0);
    expect(JSON.parse(steer.stdout)).toMatchObject({ name: 'a1' });
    const fork = await godel(['agent', 'fork', 'web/a1', 'a2', '--url', url, '--json']);
    expect(fork.code).toBe(0);
    expect(JSON.parse(fork.stdout)).toMatchObject({ team: 'web', name: 'a2', parent: { agent: 'agent/web:a1' } });
    const abort = await godel(['agent', 'abort', 'web/a1', '--reason', 'test', '--url', url]);
    expect(abort.code).toBe(0);
    expect(abort.stdout).toContain('abort: web/a1');
    const stop = await godel(['agent', 'stop', 'web/a2', '--reason', 'done', '--url', url, '--json']);
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ name: 'a2', status: 'stopped' });
  }, 60_000);

  it('events replay --after N prints the stored events after N in order, filtered', async () => {
    const all = (await api('GET', '/api/v1/events?limit=1000')).items as Array<{ seq: number; agent: string; type: string }>;
    expect(all.length).toBeGreaterThan(3);
    const replay = await godel(['events', 'replay', '--after', '0', '--url', url, '--json']);
    expect(replay.code).toBe(0);
    expect(lines(replay.stdout).map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    const middle = all[Math.floor(all.length / 2)].seq;
    const rest = await godel(['events', 'replay', '--after', String(middle), '--agent', 'web/a1', '--url', url, '--json']);
    expect(lines(rest.stdout).map((e) => e.seq)).toEqual(all.filter((e) => e.seq > middle && e.agent === 'agent/web:a1').map((e) => e.seq));
    const typed = await godel(['events', 'replay', '--type', 'agent.started', '--team', 'web', '--url', url, '--json']);
    expect(lines(typed.stdout).every((e) => e.type === 'agent.started')).toBe(true);
    expect(lines(typed.stdout).length).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('events tail follows live events (SSE) and resumes from --after without missing any', async () => {
    const all = (await api('GET', '/api/v1/events?limit=1000')).items as Array<{ seq: number }>;
    // from an old position: exactly the next three
    const from = all[1].seq;
    const resumed = await godel(['events', 'tail', '--after', String(from), '--count', '3', '--url', url, '--json']);
    expect(resumed.code).toBe(0);
    expect(lines(resumed.stdout).map((e) => e.seq)).toEqual(all.filter((e) => e.seq > from).slice(0, 3).map((e) => e.seq));
    // from now: the events of a new agent arrive live, filtered by agent
    // append only once the CLI has read the log's end (its progress line), or the events would precede its start
    let following!: () => void;
    const started = new Promise<void>((r) => (following = r));
    const tail = godel(['events', 'tail', '--agent', 'web/a3', '--count', '2', '--url', url, '--json'], {}, 30_000, (err) => err.includes('following events after') && following());
    await Promise.race([started, tail]);
    // a directory that is not a repository: the agent starts and fails (a path that does not exist is refused before any agent)
    await mkdir(join(root, 'not-a-repo'), { recursive: true });
    await api('POST', '/api/v1/agents', { team: 'web', name: 'a3', repo: join(root, 'not-a-repo') });
    const live = await tail;
    expect(live.code).toBe(0);
    const got = lines(live.stdout);
    expect(got.map((e) => e.type)).toEqual(['agent.preparing', 'agent.failed']);
    expect(got.every((e) => e.agent === 'agent/web:a3' && e.seq > all[all.length - 1].seq)).toBe(true);
  }, 40_000);

  it('instances and metrics', async () => {
    const inst = await godel(['instances', '--url', url, '--json']);
    expect(inst.code).toBe(0);
    expect(JSON.parse(inst.stdout)).toMatchObject({ shardCount: 4, unowned: [], items: [{ instance: server.instanceId, live: true, self: true, shards: [0, 1, 2, 3] }] });
    const human = await godel(['instances', '--url', url]);
    expect(human.stdout).toMatch(new RegExp(`^${server.instanceId} \\*\\s+live\\s+4\\s+0-3$`, 'm'));
    const metrics = await godel(['metrics', '--url', url, '--json']);
    expect(metrics.code).toBe(0);
    const samples = JSON.parse(metrics.stdout).samples as Array<{ name: string; value: number }>;
    expect(samples.find((s) => s.name === 'godel_owned_shards')?.value).toBe(4);
  }, 30_000);

  it('says what to do next, with exit codes: no server (5), bad agent (2), server-side validation (2)', async () => {
    const down = await godel(['agent', 'list', '--url', 'http://127.0.0.1:9', '--json']);
    expect(down.code).toBe(5);
    expect(down.stderr).toContain('is the server running? start it with `godel up`');
    expect(JSON.parse(down.stdout).error).toMatchObject({ code: 'server.unreachable', exitCode: 5 });
    const badRef = await godel(['agent', 'get', 'just-a-name', '--url', url]);
    expect(badRef.code).toBe(2);
    expect(badRef.stderr).toContain('TEAM/NAME');
    const invalid = await godel(['agent', 'get', 'Web/UPPER', '--url', url, '--json']);
    expect(invalid.code).toBe(2);
    expect(JSON.parse(invalid.stdout).error).toMatchObject({ code: 'request.invalid', exitCode: 2 });
    expect(invalid.stderr).toContain('Next: fix the arguments');
    const badUrl = await godel(['instances', '--url', 'localhost:7373']);
    expect(badUrl.code).toBe(2);
  }, 30_000);
});
