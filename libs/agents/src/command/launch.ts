import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { AgentRuntimeMissingError, AgentSpawnError } from '../pi/errors';

/**
 * The executable `command` names: a path (relative to `cwd`) or a name looked up on the child's
 * PATH (from `env`, never this process's). `agent.runtime_missing` when there is none.
 */
export async function resolveExecutable(command: string, env: Record<string, string>, cwd: string): Promise<string> {
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    if (await isExecutableFile(path)) return path;
    throw new AgentRuntimeMissingError(`${command} not found or not executable`, { command, path });
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const path = join(isAbsolute(dir) ? dir : resolve(cwd, dir), command);
    if (await isExecutableFile(path)) return path;
  }
  throw new AgentRuntimeMissingError(`${command} not found on PATH`, { command, PATH: env.PATH ?? '' });
}

export async function checkWorkspace(cwd: string): Promise<void> {
  const dir = await stat(cwd).catch(() => undefined);
  if (!dir?.isDirectory()) throw new AgentSpawnError(`agent workspace ${cwd} is not a directory`, { cwd, reason: 'cwd_missing' });
}

/**
 * Spawns `file` as the leader of a new process group (so the whole tree can be signalled) and
 * resolves once it runs. Typed failures: `agent.runtime_missing` (ENOENT, EACCES, ...),
 * `agent.spawn_failed` (anything else, e.g. E2BIG for an enormous argv).
 */
export function spawnInGroup(file: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<ChildProcessWithoutNullStreams> {
  return new Promise((resolvePromise, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: 'pipe', detached: true });
    } catch (err) {
      reject(new AgentSpawnError(`cannot start ${file}: ${(err as Error).message}`, { command: file, errno: (err as NodeJS.ErrnoException).code }));
      return;
    }
    child.once('spawn', () => resolvePromise(child));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // a later error (e.g. kill failing) is not a spawn failure
      if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ENOTDIR') {
        reject(new AgentRuntimeMissingError(`${file} not found or not executable (${err.code})`, { command: file, errno: err.code }));
      } else {
        reject(new AgentSpawnError(`cannot start ${file}: ${err.message}`, { command: file, errno: err.code }));
      }
    });
  });
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
