import { execFile, type ChildProcess } from 'node:child_process';
import { open, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { TOOL_ENV } from './child-env';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port on 127.0.0.1 that was free a moment ago (the caller retries if it loses the race). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export interface ProcInfo {
  ppid: number;
  /** argv joined by spaces. */
  command: string;
  zombie: boolean;
}

/** Parent PID and command line of a live process, or undefined when there is none. Linux: /proc; elsewhere: ps. */
export async function procInfo(pid: number): Promise<ProcInfo | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const statLine = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ..." — comm may hold spaces and parentheses: split after the last ')'.
    const rest = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return { ppid: Number(rest[1]), command: cmdline.split('\0').join(' ').trim(), zombie: rest[0] === 'Z' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (await stat('/proc/self').catch(() => undefined))) {
      return undefined; // /proc exists, the process does not
    }
  }
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'ppid=', '-o', 'stat=', '-o', 'command=', '-p', String(pid)], { env: TOOL_ENV }, (err, stdout) => {
      const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(stdout.split('\n')[0] ?? '');
      if (err || !m) return resolve(undefined);
      resolve({ ppid: Number(m[1]), command: m[3].trim(), zombie: m[2].startsWith('Z') });
    });
  });
}

/** True while `pid` names a process that has not exited (zombies count as exited). */
export async function isPidAlive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const info = await procInfo(pid);
  return info ? !info.zombie : true;
}

export async function waitForPidExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await isPidAlive(pid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Sends `signals` in turn to exactly `pid` (never a group or a name), waiting `graceMs` after each,
 * until the process is gone. When `child` is the ChildProcess of that PID, its exit event is awaited
 * too, so Node has reaped it (no zombie left). Returns whether the process is gone.
 */
export async function stopPid(
  pid: number,
  signals: NodeJS.Signals[],
  graceMs: number,
  child?: ChildProcess,
): Promise<boolean> {
  const exited =
    child && child.exitCode === null && child.signalCode === null
      ? new Promise<void>((resolve) => child.once('exit', () => resolve()))
      : Promise.resolve();
  for (const sig of signals) {
    if (!(await isPidAlive(pid))) break;
    signal(pid, sig);
    if (await waitForPidExit(pid, graceMs)) break;
  }
  const gone = !(await isPidAlive(pid));
  if (gone) await Promise.race([exited, sleep(1000)]);
  return gone;
}

/** The last `bytes` of a log file written after offset `since`, for error messages ('' when unreadable). */
export async function tailFile(path: string, bytes = 1500, since = 0): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(since, size - bytes);
      if (start >= size) return '';
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      return buf.toString('utf8').trim();
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/** The URL with its password replaced by `***`, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** Current size of a file (0 when missing): where the next run's log lines start. */
export async function fileSize(path: string): Promise<number> {
  return stat(path).then(
    (st) => st.size,
    () => 0,
  );
}

/** Runs a system tool to completion (TOOL_ENV), resolving its stdout (rejects with stderr in the message). */
export function runTool(cmd: string, args: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8', env: TOOL_ENV }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { message: `${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}` }));
      else resolve(stdout);
    });
  });
}
