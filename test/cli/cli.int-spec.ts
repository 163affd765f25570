/**
 * The `godel` CLI as users run it: the compiled CLI (`npm run build` first) as a child process, against
 * the machine's Redis and PostgreSQL (REDIS_URL / DATABASE_URL, defaulting to the CI services).
 * Mocked: nothing. Every child is bounded in time and killed by PID if it overruns.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inheritedEnv, loadConfig } from '@godel/config';
import { createTestEnv, GodelCluster, type TestEnv } from '@godel/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { DemoReport } from '../../apps/cli/src/commands/demo';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const BIN = join(ROOT, 'bin', 'godel');
const base = loadConfig();
const REDIS_URL = base.redisUrl ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = base.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const children = new Set<ChildProcess>();

function run(args: string[], env: Record<string, string>, timeoutMs: number, onStart?: (child: ChildProcess, stderr: () => string) => void, entry = CLI): Promise<Run> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [entry, ...args], { cwd: ROOT, env: { ...inheritedEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  onStart?.(child, () => stderr);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      // let the pipes drain
      setImmediate(() => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** How many keys live under `prefix:` (SCAN), deleting them when asked. */
async function keysUnder(prefix: string, remove = false): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      n += keys.length;
      if (remove && keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    return n;
  } finally {
    redis.disconnect();
  }
}

async function schemaExists(schema: string): Promise<boolean> {
  const pg = new Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5000 });
  await pg.connect();
  try {
    const r = await pg.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    return (r.rowCount ?? 0) > 0;
  } finally {
    await pg.end();
  }
}

/** Member PIDs from the demo's progress lines (`m1: m1-g1, pid 123, http://…`). */
function memberPids(stderr: string): number[] {
  return [...stderr.matchAll(/\b[mr]\d+: [\w-]+, pid (\d+)/g)].map((m) => Number(m[1]));
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the CLI integration tests`);
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('godel demo (real server processes, real Redis + PostgreSQL)', () => {
  it('kills a member mid-stream and proves every accepted message was handled exactly once', async () => {
    const r = await run(['demo', '--instances', '2', '--actors', '5', '--messages', '300', '--kills', '1', '--json'], { REDIS_URL, DATABASE_URL }, 75_000);
    if (r.code !== 0) console.log(`demo failed (${r.code ?? r.signal}):\n${r.stderr}\n${r.stdout}`);
    expect(r.code).toBe(0);

    // stdout is exactly one JSON document; progress went to stderr
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]) as DemoReport;
    expect(r.stderr).toContain('Kill 1/1: SIGKILL');

    expect(report.ok).toBe(true);
    expect(report.instances).toBe(2);
    expect(report.messages.sent).toBe(300);
    expect(report.messages.accepted).toBe(300);
    expect(report.messages.lost).toBe(0);
    expect(report.messages.duplicated).toBe(0);
    expect(report.messages.handled).toBe(report.messages.accepted);
    expect(report.counters).toHaveLength(5);
    for (const c of report.counters) expect(c.handled).toBe(c.accepted);

    // a takeover happened: the killed member's shards went to a survivor under a higher epoch
    expect(report.kills).toHaveLength(1);
    const kill = report.kills[0];
    expect(kill.shards.length).toBeGreaterThan(0);
    expect(kill.takeoverMs).toBeGreaterThan(0);
    expect(kill.takeoverMs).toBeLessThan(15_000);
    expect(kill.takeovers.map((t) => t.shard).sort((a, b) => a - b)).toEqual([...kill.shards].sort((a, b) => a - b));
    for (const t of kill.takeovers) {
      expect(t.instance).not.toBe(kill.instance);
      expect(t.epoch).toBeGreaterThan(t.previousEpoch);
    }
    // the counters that lived on the killed member's shards saw the new epoch
    const moved = report.counters.filter((c) => kill.shards.includes(c.shard));
    for (const c of moved) expect(c.epochs.length).toBeGreaterThanOrEqual(2);

    // nothing left behind: member processes, Redis keys, schema
    const pids = report.members.map((m) => m.pid);
    expect(pids.length).toBe(3); // two initial members and one replacement
    expect(new Set(memberPids(r.stderr))).toEqual(new Set(pids));
    expect(await waitGone(pids, 2000)).toEqual([]);
    expect(await keysUnder(report.keyPrefix)).toBe(0);
    expect(await schemaExists(report.schema)).toBe(false);
    console.log(`demo (2 instances, 300 messages, 1 kill) took ${r.ms} ms; takeover ${kill.takeoverMs} ms`);
  }, 90_000);

  it('stops every member it started on SIGINT, exiting 130', async () => {
    let sawSending = false;
    const r = await run(['demo', '--instances', '2', '--actors', '5', '--messages', '3000', '--kills', '1', '--json'], { REDIS_URL, DATABASE_URL }, 60_000, (child, stderr) => {
      const poll = setInterval(() => {
        if (stderr().includes('Sending')) {
          sawSending = true;
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 50);
      child.once('exit', () => clearInterval(poll));
    });
    expect(sawSending).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('SIGINT: stopping everything');
    const pids = memberPids(r.stderr);
    expect(pids).toHaveLength(2);
    expect(await waitGone(pids, 2000)).toEqual([]);
    const prefix = /Redis keys (demo[0-9a-f]+):\*/.exec(r.stderr)?.[1];
    expect(prefix).toBeDefined();
    expect(await keysUnder(prefix!)).toBe(0);
  }, 75_000);

  it('exits 3 with what to do next when REDIS_URL points at a closed port', async () => {
    const port = await closedPort();
    const r = await run(['demo', '--json'], { REDIS_URL: `redis://127.0.0.1:${port}`, DATABASE_URL }, 15_000);
    expect(r.code).toBe(3);
    expect(r.ms).toBeLessThan(10_000);
    const doc = JSON.parse(r.stdout.trim()) as { ok: boolean; error: { code: string; message: string; exitCode: number } };
    expect(doc.ok).toBe(false);
    expect(doc.error.code).toBe('services.redis_unavailable');
    expect(doc.error.exitCode).toBe(3);
    expect(doc.error.message).toContain(`127.0.0.1:${port}`);
    expect(doc.error.message).toMatch(/Start that Redis or fix REDIS_URL/);
    expect(r.stderr).toContain('fix REDIS_URL');
  }, 20_000);

  it('exits 2 on bad flags and bad configuration, naming what to fix', async () => {
    const flags = await run(['demo', '--instances', 'three'], {}, 15_000);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain("'--instances <n>' argument 'three' is invalid");
    expect(flags.stderr).toContain('godel --help');

    const noSurvivor = await run(['demo', '--instances', '1', '--kills', '1', '--json'], {}, 15_000);
    expect(noSurvivor.code).toBe(2);
    expect(JSON.parse(noSurvivor.stdout).error.message).toContain('--instances 2');

    const config = await run(['demo'], { GODEL_SHARDS: 'many' }, 15_000);
    expect(config.code).toBe(2);
    expect(config.stderr).toContain('GODEL_SHARDS must be an integer');
  }, 30_000);
});

describe('godel up', () => {
  it('runs a server in the foreground on the given services and stops it on Ctrl-C', async () => {
    const tag = Math.random().toString(16).slice(2, 10);
    const env = { REDIS_URL, DATABASE_URL, GODEL_KEY_PREFIX: `up${tag}`, GODEL_DB_SCHEMA: `up_${tag}` };
    let ready: { url: string; pid: number } | undefined;
    let health: unknown;
    try {
      const r = await run(['up', '--port', '0', '--json'], env, 45_000, (child) => {
        let buf = '';
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const line = buf.split('\n').find((l) => l.includes('"godel.ready"'));
          if (line && !ready) {
            ready = JSON.parse(line) as { url: string; pid: number };
            void fetch(`${ready.url}/health`)
              .then((res) => res.json())
              .then((body) => (health = body))
              .finally(() => child.kill('SIGINT'));
          }
        });
      });
      expect(ready).toBeDefined();
      expect(health).toMatchObject({ status: 'ok' });
      expect(r.code).toBe(0);
      // --json: every stdout line is JSON
      for (const line of r.stdout.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
      expect(await waitGone([ready!.pid], 2000)).toEqual([]);
    } finally {
      await keysUnder(`up${tag}`, true);
      const pg = new Client({ connectionString: DATABASE_URL });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS up_${tag} CASCADE`);
      await pg.end();
    }
  }, 60_000);
});

describe('godel do and godel workflow (real server process, real pi, scripted model, real git)', () => {
  it('godel do --sample --json: a team takes the sample intent to merged, verified commits; progress as JSON lines, a summary, exit 0', async () => {
    const tag = `cli${Date.now().toString(36)}`;
    const r = await run(['do', '--sample', '--json'], { REDIS_URL, DATABASE_URL, GODEL_KEY_PREFIX: tag, GODEL_DB_SCHEMA: tag }, 150_000);
    if (r.code !== 0) console.log(`godel do failed (${r.code ?? r.signal}):\n${r.stderr}\n${r.stdout}`);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.at(-1)!;
    expect(summary).toMatchObject({ event: 'summary', ok: true, status: 'succeeded' });
    const merged = summary.merged as Array<{ task: string; commit: string }>;
    expect(merged.map((m) => m.task).sort()).toEqual(['add', 'index', 'multiply']);
    // The commits are really on main of the sample repository, and its verification passes there.
    const repo = String(summary.repo);
    for (const m of merged) expect(() => execFileSync('git', ['-C', repo, 'merge-base', '--is-ancestor', m.commit, 'main'])).not.toThrow();
    expect(execFileSync('node', ['check.js'], { cwd: repo, encoding: 'utf8' })).toContain('3 checks passed');
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(['team.started', 'team.planned', 'review.changes_requested', 'merge.verify_finished', 'status', 'team.succeeded']));
    // Progress includes what the agents cost so far.
    expect(lines.find((l) => l.event === 'status')).toMatchObject({ usage: { total: expect.any(Number) } });
    expect(r.stderr).toContain('Stopping the local Godel server');
    const pg = new Client({ connectionString: DATABASE_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS "${tag}" CASCADE`);
    await pg.end();
  }, 180_000);

  it('bad input: not a repository, an empty intent, an invalid workflow file → clear errors, exit 2, nothing started; --dry-run prints the plan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'godel-cli-do-'));
    try {
      const notRepo = await run(['do', 'add a thing', '--repo', dir, '--dry-run'], {}, 20_000);
      expect(notRepo.code).toBe(2);
      expect(notRepo.stderr).toContain('is not a git repository');
      const empty = await run(['do', '  ', '--repo', ROOT, '--dry-run'], {}, 20_000);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain('the intent is empty');
      const zero = await run(['do', 'x', '--repo', ROOT, '--budget-usd', '0'], {}, 20_000);
      expect(zero.code).toBe(2);
      expect(zero.stderr).toContain('a budget must be more than zero');
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'name: bad\ndescription: d\ntasks:\n  - id: a\n    title: A\n    prompt: p\n    colour: red\n');
      const invalid = await run(['workflow', 'validate', bad], {}, 20_000);
      expect(invalid.code).toBe(1);
      expect(invalid.stdout).toContain(`${bad}:7: tasks[0].colour`);
      const remotePlaybook = await run(['do', 'x', '--repo', ROOT, '--url', 'http://127.0.0.1:9', '--playbook', bad], {}, 20_000);
      expect(remotePlaybook.code).toBe(2);
      expect(remotePlaybook.stderr).toContain('--playbook is for the local server');
      const badRun = await run(['do', 'x', '--repo', ROOT, '--workflow', bad, '--dry-run'], {}, 20_000);
      expect(badRun.code).toBe(2);
      const plan = await run(['do', 'add a login page', '--repo', ROOT, '--workflow', 'feature', '--dry-run', '--json'], {}, 20_000);
      expect(plan.code).toBe(0);
      const doc = JSON.parse(plan.stdout) as { plan: { tasks: Array<{ id: string }>; members: string[] } };
      expect(doc.plan.tasks.map((t) => t.id)).toEqual(['plan', 'core', 'interface', 'integrate', 'review']);
      expect(readdirSync(dir)).toEqual(['bad.yaml']);
      const list = await run(['workflow', 'list', '--json'], {}, 20_000);
      expect((JSON.parse(list.stdout) as { items: Array<{ name: string }> }).items.map((w) => w.name)).toEqual(['bugfix', 'feature', 'refactor', 'review-only']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('godel --help and bin/godel', () => {
  it('lists only the commands that work, and bin/godel runs the compiled CLI', async () => {
    const r = await run(['--help'], {}, 15_000, undefined, BIN);
    expect(r.code).toBe(0);
    const commands = [...r.stdout.split('Commands:')[1].matchAll(/^ {2}(\w+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(['demo', 'up', 'do', 'team', 'task', 'workflow', 'auth', 'dashboard', 'agent', 'events', 'instances', 'metrics', 'federation', 'help']);
    const unknown = await run(['frobnicate'], {}, 15_000, undefined, BIN);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  }, 30_000);
});

describe('godel auth (a real server process)', () => {
  let env: TestEnv;
  let cluster: GodelCluster;
  let url: string;
  let root: string;

  beforeAll(async () => {
    env = await createTestEnv();
    root = await mkdtemp(join(tmpdir(), 'godel-cli-auth-'));
    cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_HOME: join(root, 'server'), GODEL_SHARDS: '4' } });
    url = (await cluster.start('a')).url!;
  }, 60_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await env?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const json = (r: Run) => JSON.parse(r.stdout.trim()) as Record<string, any>;

  it('logs in, keeps tokens 0600, refreshes an expired access token, manages keys, and says what to do next on errors', async () => {
    const admin = { GODEL_HOME: join(root, 'admin') };
    const file = join(root, 'admin', 'credentials.json');

    const before = await run(['auth', 'whoami', '--json'], admin, 15_000);
    expect(before.code).toBe(4);
    expect(json(before).error.code).toBe('auth.not_logged_in');
    expect(before.stderr).toContain('godel auth login');

    const wrong = await run(['auth', 'login', '--url', url, '--key', 'gdk_wrong', '--json'], admin, 15_000);
    expect(wrong.code).toBe(4);
    expect(json(wrong).error.code).toBe('auth.invalid');

    const login = await run(['auth', 'login', '--url', url, '--key', cluster.adminKey, '--json'], admin, 15_000);
    expect(login.code).toBe(0);
    expect(json(login)).toMatchObject({ ok: true, url, key: { keyId: expect.stringMatching(/^bootstrap-[0-9a-f]{16}$/), role: 'admin' } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = await readFile(file, 'utf8');
    expect(saved).not.toContain(cluster.adminKey);

    // an expired access token is refreshed transparently, and the rotated refresh token saved
    const creds = JSON.parse(saved) as { expiresAt: number; refreshToken: string };
    await writeFile(file, JSON.stringify({ ...creds, expiresAt: 0 }), { mode: 0o600 });
    const who = await run(['auth', 'whoami', '--json'], admin, 15_000);
    expect(who.code).toBe(0);
    expect(json(who)).toMatchObject({ ok: true, keyId: expect.stringMatching(/^bootstrap-/), name: 'bootstrap-admin', role: 'admin' });
    const after = JSON.parse(await readFile(file, 'utf8')) as { expiresAt: number; refreshToken: string };
    expect(after.refreshToken).not.toBe(creds.refreshToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now());

    const created = await run(['auth', 'keys', 'create', '--name', 'ci', '--role', 'viewer', '--json'], admin, 15_000);
    expect(created.code).toBe(0);
    const key = json(created) as { id: string; key: string; role: string };
    expect(key.role).toBe('viewer');
    const human = await run(['auth', 'keys', 'list'], admin, 15_000);
    expect(human.stdout).toMatch(new RegExp(`${key.id}\\s+ci\\s+viewer`));
    expect(human.stdout).not.toContain(key.key);

    // a viewer may ask who it is, not manage keys
    const viewer = { GODEL_HOME: join(root, 'viewer'), GODEL_URL: url, GODEL_API_KEY: key.key };
    expect((await run(['auth', 'login'], viewer, 15_000)).code).toBe(0);
    const denied = await run(['auth', 'keys', 'list', '--json'], viewer, 15_000);
    expect(denied.code).toBe(4);
    expect(json(denied).error.code).toBe('auth.forbidden');
    expect(denied.stderr).toContain('godel auth login');

    const revoked = await run(['auth', 'keys', 'revoke', key.id, '--json'], admin, 15_000);
    expect(revoked.code).toBe(0);
    expect(json(revoked).revokedAt).toEqual(expect.any(String));
    const gone = await run(['auth', 'whoami', '--json'], viewer, 15_000);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain('godel auth login');

    const badRole = await run(['auth', 'keys', 'create', '--name', 'x', '--role', 'root'], admin, 15_000);
    expect(badRole.code).toBe(2);
    const port = await closedPort();
    const down = await run(['auth', 'login', '--url', `http://127.0.0.1:${port}`, '--key', 'k', '--json'], admin, 15_000);
    expect(down.code).toBe(5);
    expect(json(down).error.code).toBe('server.unreachable');
  }, 90_000);
});
