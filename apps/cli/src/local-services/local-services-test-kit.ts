/**
 * Shared fixture of the local-services specs: temp homes, the services and helper processes a test
 * started (all stopped after it, `cleanUpAfterEach`), and small helpers (typed rejections, queries).
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LocalServiceError, type LocalService } from './index';
import { stopPid, waitForPidExit } from './process-utils';

export const services: LocalService[] = [];
export const pids: number[] = []; // helper processes a test started itself
export const dirs: string[] = [];
export const lines: string[] = [];
export const log = (line: string) => lines.push(line);

export async function tempHome(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'godel-ls-'));
  // mkdtemp makes 0700 dirs; as root PostgreSQL runs as the `postgres` user, which must pass through.
  await chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}

export function track(s: LocalService): LocalService {
  services.push(s);
  return s;
}

export async function expectGone(pid: number): Promise<void> {
  expect(await waitForPidExit(pid, 5000)).toBe(true);
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
}

export async function rejection(p: Promise<unknown>): Promise<LocalServiceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LocalServiceError);
    return err as LocalServiceError;
  }
  throw new Error('expected a rejection');
}

export async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export function cleanUpAfterEach(): void {
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop().catch(() => undefined);
    for (const pid of pids.splice(0)) await stopPid(pid, ['SIGKILL'], 2000);
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    lines.length = 0;
  });
}

export function sh(cmd: string, ...args: string[]): string {
  // An explicit environment: the tools it runs (ps, id, which) need PATH and nothing of the caller's.
  return spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } }).stdout.trim();
}

export async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
