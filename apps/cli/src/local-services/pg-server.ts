import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { chown, mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import type { PgBinaries } from './pg-binaries';
import { NEXT_STEPS, SUPERUSER, exists, unavailable, type RunAs } from './pg-common';
import { fileSize, freeLoopbackPort, sleep, stopPid, tailFile } from './process-utils';

/** How the embedded PostgreSQL's processes run: as whom, with which (explicit) environment. */
export interface PgProcess {
  runAs: RunAs | undefined;
  env: Record<string, string | undefined>;
}

function spawnLogged(cmd: string, args: string[], cwd: string, logPath: string, proc: PgProcess, detached: boolean): ChildProcess {
  const fd = openSync(logPath, 'a');
  try {
    return spawn(cmd, args, {
      cwd,
      detached,
      stdio: ['ignore', fd, fd],
      env: proc.env,
      ...(proc.runAs ? { uid: proc.runAs.uid, gid: proc.runAs.gid } : {}),
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
export async function initCluster(
  bins: PgBinaries,
  root: string,
  dataDir: string,
  passwordFile: string,
  logPath: string,
  proc: PgProcess,
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
  if (proc.runAs) {
    await chown(tmpData, proc.runAs.uid, proc.runAs.gid);
    await chown(pwTmp, proc.runAs.uid, proc.runAs.gid);
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
      proc,
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

export async function startServer(
  bins: PgBinaries,
  root: string,
  dataDir: string,
  logPath: string,
  password: string,
  proc: PgProcess,
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
      proc,
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

export async function createDatabase(port: number, password: string, database: string): Promise<void> {
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
