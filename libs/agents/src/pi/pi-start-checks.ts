import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { AgentError, AgentRuntimeMissingError, AgentSpawnError, AgentTimeoutError } from './errors';

/** Checks before a pi start: the workspace is a folder, the pi binary (a path) is executable. */
export async function checkLaunchable(piBin: string, cwd: string): Promise<void> {
  const dir = await stat(cwd).catch(() => undefined);
  if (!dir?.isDirectory()) throw new AgentSpawnError(`agent workspace ${cwd} is not a directory`, { cwd, reason: 'cwd_missing' });
  if (!piBin.includes('/')) return; // looked up on the child's PATH; spawn reports ENOENT.
  try {
    await access(piBin, constants.X_OK);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    throw new AgentRuntimeMissingError(`pi executable not found or not executable: ${piBin}`, { piBin, errno });
  }
}

export function spawned(child: ChildProcessWithoutNullStreams, piBin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ENOTDIR') {
        reject(new AgentRuntimeMissingError(`pi executable not found: ${piBin} (${err.code})`, { piBin, errno: err.code }));
      } else {
        reject(new AgentSpawnError(`cannot start pi (${piBin}): ${err.message}`, { piBin, errno: err.code }));
      }
    });
  });
}

/** The typed error of a start that did not become ready (see `PiRpcProcess.start`). */
export function startupFailure(err: unknown, f: { piBin: string; readyTimeoutMs: number; waitedMs?: number; pid: number; exitCode?: number | null; stderrTail: string }): Error {
  const { piBin, readyTimeoutMs, pid, stderrTail } = f;
  // `#!/usr/bin/env node` with no node on the child's PATH: the shell's "command not found".
  if (f.exitCode === 127) {
    return new AgentRuntimeMissingError(`pi could not run (exit 127): ${stderrTail.trim() || 'command not found'}`, { piBin, stderrTail });
  }
  if (err instanceof AgentTimeoutError) {
    // Renewed while the box starved it (waitReady): say how long it was given in all.
    const starved = f.waitedMs !== undefined && f.waitedMs >= 2 * readyTimeoutMs ? ` (renewed while the box kept it waiting for a CPU: ${f.waitedMs} ms in all)` : '';
    return new AgentTimeoutError(`pi did not become ready within ${readyTimeoutMs} ms${starved}`, { operation: 'startup', timeoutMs: readyTimeoutMs, waitedMs: f.waitedMs, pid, stderrTail });
  }
  return err instanceof AgentError ? err : new AgentSpawnError(`pi failed to start: ${(err as Error).message}`, { piBin, stderrTail });
}
