/**
 * The `godel` CLI as users run it: the compiled CLI (`npm run build` first) as a child process, against
 * the machine's Redis and PostgreSQL (REDIS_URL / DATABASE_URL, defaulting to the CI services).
 * Mocked: nothing. Every child is bounded in time and killed by PID if it overruns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inheritedEnv, loadConfig } from '@godel/config';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { DemoReport } from './commands/demo';

const ROOT = join(__dirname, '..', '..', '..');
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

describe('godel --help and bin/godel', () => {
  it('lists only the commands that work, and bin/godel runs the compiled CLI', async () => {
    const r = await run(['--help'], {}, 15_000, undefined, BIN);
    expect(r.code).toBe(0);
    const commands = [...r.stdout.split('Commands:')[1].matchAll(/^ {2}(\w+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(['demo', 'up', 'agent', 'events', 'instances', 'metrics', 'help']);
    const unknown = await run(['frobnicate'], {}, 15_000, undefined, BIN);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  }, 30_000);
});
