/**
 * `godel team`, `godel task` and `godel dashboard` as users run them: the compiled CLI (`npm run build`
 * first) as child processes against a real server process (GodelCluster) on the real Redis and
 * PostgreSQL, whose team takes the sample intent to merged commits with real `pi` and the offline
 * scripted model. Mocked: nothing. Every child is bounded in time and killed by PID if it overruns.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminToken, bearer, createKey, createTestEnv, GodelCluster, type TestEnv } from '@godel/testing';
import { copySampleRepo } from '../../apps/cli/src/sample-repo';
import { parse as parseYaml } from 'yaml';
import { closedPort, killCliRuns, requireBuiltCli, ROOT, runCli, type Run } from './cli-kit';

const PLAYBOOK = join(ROOT, 'examples', 'calc.playbook.yaml');

const run = (args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<Run> => runCli(args, env, timeoutMs);

const json = (r: Run) => JSON.parse(r.stdout.trim()) as Record<string, any>;

describe('godel team | task | dashboard (a real server process, real pi, scripted model, real git)', () => {
  let env: TestEnv;
  let cluster: GodelCluster;
  let url: string;
  let root: string;
  let admin: Record<string, string>;
  let viewer: Record<string, string>;
  let team: string;

  beforeAll(async () => {
    requireBuiltCli();
    env = await createTestEnv();
    root = await mkdtemp(join(tmpdir(), 'godel-cli-teams-'));
    cluster = new GodelCluster({
      redisUrl: env.redisUrl,
      databaseUrl: env.databaseUrl,
      keyPrefix: env.keyPrefix,
      schema: env.schema,
      env: { GODEL_PLAYBOOK: PLAYBOOK, GODEL_HOME: join(root, 'server'), GODEL_SHARDS: '4' },
    });
    url = (await cluster.start('a', 60_000)).url!;
    // Empty GODEL_HOME per caller: no saved login from elsewhere counts.
    admin = { GODEL_HOME: join(root, 'admin'), GODEL_API_KEY: cluster.adminKey };
    const token = await adminToken(url, cluster.adminKey);
    viewer = { GODEL_HOME: join(root, 'viewer'), GODEL_API_KEY: (await createKey(url, token, 'cli-viewer', 'viewer')).key };

    // The sample intent, started over HTTP and followed to the end (the CLI reads it afterwards).
    const book = parseYaml(await readFile(PLAYBOOK, 'utf8')) as { intent: string; verify: string };
    const repo = await copySampleRepo(root, join(ROOT, 'examples', 'calc'));
    const res = await fetch(`${url}/api/v1/intents`, { method: 'POST', headers: bearer(token, { 'content-type': 'application/json' }), body: JSON.stringify({ intent: book.intent, repo, verify: book.verify }) });
    expect(res.status).toBe(202);
    team = ((await res.json()) as { team: string }).team;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const t = (await (await fetch(`${url}/api/v1/teams/${team}`, { headers: bearer(token) })).json()) as { status: string };
      if (['succeeded', 'failed', 'cancelled'].includes(t.status)) {
        expect(t.status).toBe('succeeded');
        break;
      }
      if (Date.now() > deadline) throw new Error(`team ${team} still ${t.status} after 120 s`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }, 180_000);

  afterAll(async () => {
    killCliRuns();
    await cluster?.stopAll();
    await env?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 60_000);

  it('team list and team get show status, tasks, merged commits and cost (human and --json)', async () => {
    const list = await run(['team', 'list', '--url', url, '--json'], admin);
    expect(list.code).toBe(0);
    expect(json(list).items).toEqual([expect.objectContaining({ team, status: 'succeeded', merged: 3, tasks: { done: 3 } })]);
    const human = await run(['team', 'list', '--url', url], admin);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`${team}\\s+succeeded\\s+done 3\\s+3\\s+\\$\\d+\\.\\d{4}`));
    const none = await run(['team', 'list', '--status', 'failed', '--url', url], admin);
    expect(none.stdout).toContain('No teams with status failed');

    // the default URL comes from config (GODEL_URL)
    const get = await run(['team', 'get', team, '--json'], { ...viewer, GODEL_URL: url });
    expect(get.code).toBe(0);
    const doc = json(get);
    expect(doc).toMatchObject({ ok: true, team, status: 'succeeded', merged: 3 });
    expect((doc.taskList as Array<{ id: string; status: string }>).map((t) => [t.id, t.status])).toEqual([
      ['add', 'done'],
      ['multiply', 'done'],
      ['index', 'done'],
    ]);
    const text = await run(['team', 'get', team, '--url', url], viewer);
    expect(text.stdout).toContain(`${team}: succeeded`);
    expect(text.stdout).toMatch(/index\s+done\s+\S+\s+\d+\s+add, multiply/);
  }, 60_000);

  it('task list filters by team and status; task get shows one task with its prompt', async () => {
    const done = await run(['task', 'list', '--team', team, '--status', 'done', '--url', url, '--json'], viewer);
    expect(done.code).toBe(0);
    expect((json(done).items as Array<{ id: string }>).map((t) => t.id)).toEqual(['add', 'multiply', 'index']);
    const running = await run(['task', 'list', '--status', 'running', '--url', url, '--json'], viewer);
    expect(json(running).items).toEqual([]);
    const all = await run(['task', 'list', '--url', url], viewer);
    expect(all.stdout).toMatch(new RegExp(`${team}\\s+multiply\\s+done`));

    const get = await run(['task', 'get', team, 'index', '--url', url, '--json'], viewer);
    expect(get.code).toBe(0);
    expect(json(get)).toMatchObject({ ok: true, team, id: 'index', status: 'done', dependsOn: ['add', 'multiply'], merged: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const human = await run(['task', 'get', team, 'add', '--url', url], viewer);
    expect(human.stdout).toContain(`${team}/add: done`);
    expect(human.stdout).toContain('Create src/add.js');
  }, 60_000);

  it('team cancel needs operator; an operator cancels a running team', async () => {
    const token = await adminToken(url, cluster.adminKey);
    const repo = await copySampleRepo(join(root, 'second'), join(ROOT, 'examples', 'calc'));
    const res = await fetch(`${url}/api/v1/intents`, { method: 'POST', headers: bearer(token, { 'content-type': 'application/json' }), body: JSON.stringify({ intent: 'a second sample run, to cancel', repo, verify: 'node check.js' }) });
    expect(res.status).toBe(202);
    const second = ((await res.json()) as { team: string }).team;

    const denied = await run(['team', 'cancel', second, '--url', url, '--json'], viewer);
    expect(denied.code).toBe(4);
    expect(json(denied).error.code).toBe('auth.forbidden');
    expect(denied.stderr).toContain('godel auth login');

    const cancelled = await run(['team', 'cancel', second, '--reason', 'cli test', '--url', url, '--json'], admin, 60_000);
    expect(cancelled.code).toBe(0);
    expect(json(cancelled)).toMatchObject({ ok: true, team: second, status: 'cancelled' });
    const listed = await run(['team', 'list', '--status', 'cancelled', '--url', url, '--json'], viewer);
    expect((json(listed).items as Array<{ team: string }>).map((t) => t.team)).toEqual([second]);
  }, 90_000);

  it('errors say what to do next, with meaningful exit codes', async () => {
    const unknownTeam = await run(['team', 'get', 'no-such-team', '--url', url, '--json'], viewer);
    expect(unknownTeam.code).toBe(6);
    expect(json(unknownTeam).error.code).toBe('resource.not_found');
    expect(unknownTeam.stderr).toContain('godel team list');
    const unknownTask = await run(['task', 'get', team, 'nope', '--url', url], viewer);
    expect(unknownTask.code).toBe(6);
    expect(unknownTask.stderr).toContain(`godel task list --team ${team}`);
    const badName = await run(['team', 'get', 'Bad Name!', '--url', url], viewer);
    expect(badName.code).toBe(2);
    const badStatus = await run(['task', 'list', '--status', 'sleeping', '--url', url], viewer);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain('Allowed choices are pending, ready, running');

    const notLoggedIn = await run(['team', 'list', '--url', url, '--json'], { GODEL_HOME: join(root, 'nobody') });
    expect(notLoggedIn.code).toBe(4);
    expect(json(notLoggedIn).error.code).toBe('auth.not_logged_in');
    expect(notLoggedIn.stderr).toContain('godel auth login');

    const port = await closedPort();
    const down = await run(['task', 'list', '--url', `http://127.0.0.1:${port}`, '--json'], admin);
    expect(down.code).toBe(5);
    expect(json(down).error.code).toBe('server.unreachable');
    expect(down.stderr).toContain('godel up');
  }, 60_000);

  it('godel dashboard prints the URL of the server’s dashboard (checked to answer)', async () => {
    const human = await run(['dashboard', '--url', url], {});
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n')[0]).toBe(`${url}/dashboard`);
    const doc = await run(['dashboard', '--json'], { GODEL_URL: url });
    expect(json(doc)).toEqual({ ok: true, url: `${url}/dashboard` });
    const page = await fetch(json(doc).url as string);
    expect(page.status).toBe(200);
    const port = await closedPort();
    const down = await run(['dashboard', '--url', `http://127.0.0.1:${port}`], {});
    expect(down.code).toBe(5);
    expect(down.stderr).toContain('godel up');
    const bad = await run(['dashboard', '--url', 'not a url'], {});
    expect(bad.code).toBe(2);
  }, 60_000);
});
