import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { isClusterUrl } from '@godel/runtime-redis';
import { LocalServiceError, redisUnusable } from './local-service-error';
import { checkRedisClusterUrl } from './redis-cluster-check';
import { serverEnv } from './child-env';
import { freeLoopbackPort, procInfo, redactUrl, sleep, stopPid, tailFile } from './process-utils';
import type { EnsureRedisOptions, LocalService } from './types';

const INSTALL_HINT =
  'set REDIS_URL to a running Redis (e.g. redis://127.0.0.1:6379), or install Redis so Godel can start a private one: ' +
  'Debian/Ubuntu `sudo apt-get install redis-server`, Fedora `sudo dnf install redis`, macOS `brew install redis`';

/**
 * The Redis a Godel process uses: the given URL after checking that it answers PING, else a private
 * `redis-server` (no persistence, 127.0.0.1, free port, a random password from a 0600 config file —
 * never on its command line — carried in the returned URL) that `stop()` ends, else `services.redis_missing`.
 */
export async function ensureRedis(opts: EnsureRedisOptions): Promise<LocalService> {
  const log = opts.log ?? (() => undefined);
  if (opts.url) {
    const started = Date.now();
    await checkRedisUrl(opts.url, opts.connectTimeoutMs ?? 3000);
    log(`redis: using ${redactUrl(opts.url)} (answered PING in ${Date.now() - started} ms)`);
    return { url: opts.url, owned: false, stop: async () => undefined };
  }
  return startPrivateRedis(opts, log);
}

/**
 * Connects to `url` (auth, TLS and db index as ioredis understands them) and sends PING, within
 * `timeoutMs`; a Redis Cluster URL (`redis+cluster://…`) is checked as a cluster (redis-cluster-check.ts).
 */
export async function checkRedisUrl(url: string, timeoutMs: number): Promise<void> {
  if (isClusterUrl(url)) return checkRedisClusterUrl(url, timeoutMs);
  const shown = redactUrl(url);
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new LocalServiceError(
      'services.redis_unavailable',
      `REDIS_URL "${shown}" is not a redis://, rediss:// or redis+cluster:// URL; fix REDIS_URL, or unset it to let Godel start a private redis-server`,
      false,
      { url: shown },
    );
  }
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  client.on('error', () => undefined); // reported through the rejected promise below
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw redisUnusable(err, shown, 'Redis at %s does not answer PING', 'Start that Redis or fix REDIS_URL; or unset REDIS_URL to let Godel start a private redis-server');
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * Raw RESP over TCP: PING, then INFO server. Resolves the server's process_id when it answered +PONG,
 * so a caller can tell its own redis-server from another one that took the port.
 */
function pingOnce(port: number, timeoutMs: number, password: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (pid: number | undefined) => {
      sock.destroy();
      resolve(pid);
    };
    sock.setTimeout(timeoutMs, () => done(undefined));
    sock.once('error', () => done(undefined));
    sock.once('connect', () => sock.write(`AUTH ${password}\r\nPING\r\nINFO server\r\n`));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n') && !buf.startsWith('+OK')) return done(undefined);
      if (buf.split('\r\n').length > 2 && !buf.startsWith('+OK\r\n+PONG')) return done(undefined);
      const m = /process_id:(\d+)\r\n/.exec(buf);
      if (m) done(Number(m[1]));
    });
  });
}

interface OwnerFile {
  ownerPid: number;
  pid: number;
  port: number;
}

/**
 * Ends private redis-servers left behind by a Godel process that died without stop(): their parent is
 * no longer the process that started them (they were re-parented). Servers of live owners stay.
 */
async function reapOrphans(root: string, log: (line: string) => void): Promise<void> {
  const entries = await readdir(root).catch(() => [] as string[]);
  for (const name of entries) {
    const dir = join(root, name);
    let owner: OwnerFile;
    try {
      owner = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as OwnerFile;
    } catch {
      continue; // starting right now, or not ours
    }
    const info = await procInfo(owner.pid);
    if (info && !info.zombie) {
      if (info.ppid === owner.ownerPid || !info.command.includes('redis')) continue; // in use / PID reused
      log(`redis: stopping orphaned private redis-server pid ${owner.pid} on port ${owner.port} (its Godel process is gone)`);
      await stopPid(owner.pid, ['SIGTERM', 'SIGKILL'], 3000);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

async function startPrivateRedis(opts: EnsureRedisOptions, log: (line: string) => void): Promise<LocalService> {
  const bin = opts.redisServerBin ?? 'redis-server';
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const root = join(opts.homeDir, 'redis');
  await mkdir(root, { recursive: true });
  await reapOrphans(root, log);

  const started = Date.now();
  const deadline = started + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const dir = join(root, String(port));
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const logPath = join(dir, 'redis.log');
    // A password, so nothing else on this host (an agent's shell, another user) can use it: kept in a
    // 0600 file, not on the command line (which any local process can read).
    const password = randomBytes(24).toString('hex');
    const confPath = join(dir, 'redis.conf');
    await writeFile(confPath, `requirepass ${password}\n`, { mode: 0o600 });
    const fd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        bin,
        [confPath, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
        // Own process group: a Ctrl-C on the terminal reaches Godel, whose shutdown then calls stop().
        { cwd: dir, detached: true, stdio: ['ignore', fd, fd], env: opts.env ?? serverEnv() },
      );
    } finally {
      closeSync(fd);
    }
    const outcome = await waitForRedis(child, port, deadline, password);
    if (outcome.kind === 'ready') {
      const pid = child.pid as number;
      await writeFile(join(dir, 'owner.json'), JSON.stringify({ ownerPid: process.pid, pid, port } satisfies OwnerFile));
      child.unref();
      const onExit = () => {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone
        }
      };
      process.once('exit', onExit); // last resort when the process exits without stop()
      let stopping: Promise<void> | undefined;
      const url = `redis://:${password}@127.0.0.1:${port}`;
      log(`redis: started private redis-server pid ${pid} on ${redactUrl(url)} in ${Date.now() - started} ms (dir ${dir})`);
      return {
        url,
        owned: true,
        pid,
        stop: () =>
          (stopping ??= (async () => {
            process.removeListener('exit', onExit);
            const gone = await stopPid(pid, ['SIGTERM', 'SIGKILL'], 3000, child);
            if (!gone) throw new Error(`redis-server pid ${pid} did not exit`);
            await rm(dir, { recursive: true, force: true });
            log(`redis: stopped private redis-server pid ${pid}`);
          })()),
      };
    }
    // Not ready: make sure nothing of this attempt is left running.
    if (child.pid) await stopPid(child.pid, ['SIGKILL'], 2000, child);
    const tail = await tailFile(logPath);
    await rm(dir, { recursive: true, force: true });
    if (outcome.kind === 'spawn-error') {
      const code = outcome.error.code;
      if (code === 'ENOENT' || code === 'EACCES') {
        throw new LocalServiceError(
          'services.redis_missing',
          `Godel needs Redis: no REDIS_URL is set and \`${bin}\` could not be started (${code}). Next step: ${INSTALL_HINT}`,
          false,
          { bin },
          { cause: outcome.error },
        );
      }
      throw new LocalServiceError(
        'services.redis_unavailable',
        `could not start \`${bin}\`: ${outcome.error.message}. Next step: ${INSTALL_HINT}`,
        false,
        { bin },
        { cause: outcome.error },
      );
    }
    if (outcome.kind === 'exited' && /address already in use/i.test(tail) && attempt < 3 && Date.now() < deadline) {
      continue; // lost the race for the port
    }
    throw new LocalServiceError(
      'services.redis_unavailable',
      `private redis-server on 127.0.0.1:${port} ${outcome.kind === 'exited' ? `exited (${outcome.how})` : `did not answer PING within ${timeoutMs} ms`}` +
        `${tail ? `; its log ends with:\n${tail}\n` : '. '}Next step: ${INSTALL_HINT}`,
      outcome.kind === 'timeout',
      { bin, port },
    );
  }
}

type StartOutcome =
  | { kind: 'ready' }
  | { kind: 'spawn-error'; error: NodeJS.ErrnoException }
  | { kind: 'exited'; how: string }
  | { kind: 'timeout' };

async function waitForRedis(child: ChildProcess, port: number, deadline: number, password: string): Promise<StartOutcome> {
  let ended: StartOutcome | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => (ended ??= { kind: 'spawn-error', error }));
  child.once('exit', (code, sig) => (ended ??= { kind: 'exited', how: sig ? `signal ${sig}` : `code ${code}` }));
  while (Date.now() < deadline) {
    if (ended) return ended;
    if (child.pid && (await pingOnce(port, 500, password)) === child.pid) return { kind: 'ready' };
    if (ended) return ended;
    await sleep(25);
  }
  return ended ?? { kind: 'timeout' };
}
