/** CLI test kit: the compiled CLI (`npm run build` first) run as a child process, bounded in time and killed by PID if it overruns or outlives its suite. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inheritedEnv } from '@godel/config';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

/** What a CLI run ended with. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

/** Runs the compiled CLI with `args` and `env` over the inherited environment; SIGKILLed after `timeoutMs`. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs: number): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...inheritedEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

/** SIGKILLs every CLI run still going (a suite's afterAll). */
export function killCliRuns(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** Throws unless the CLI is compiled (a suite's beforeAll). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the CLI integration tests`);
}

/** A loopback port nothing listens on (bound, then closed). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
