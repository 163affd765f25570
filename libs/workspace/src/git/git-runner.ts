import { execFile } from 'node:child_process';
import { WorkspaceError } from '../errors/workspace-error';

export interface GitResult {
  stdout: string;
  stderr: string;
}

export interface GitCallOptions {
  cwd: string;
  timeoutMs?: number;
}

/**
 * Runs one git command. Arguments are passed as an argv array (execFile, no shell), so user input
 * never reaches a shell. A non-zero exit rejects with `workspace.git_failed` carrying `exitCode`
 * and `stderr` in `details`.
 */
export type GitRunner = (args: readonly string[], options: GitCallOptions) => Promise<GitResult>;

export interface GitRunnerOptions {
  /** git executable; default `git` looked up on PATH. */
  gitBinary?: string;
  /**
   * Full environment for git child processes. Default: inherited from this process. Pass a
   * sanitised copy (e.g. without GIT_DIR / GIT_INDEX_FILE set by an enclosing hook, with LC_ALL=C)
   * when the caller cannot vouch for its own environment.
   */
  env?: Record<string, string | undefined>;
  /** Kill git after this long; default 60 s. */
  timeoutMs?: number;
}

const MAX_BUFFER = 64 * 1024 * 1024;

export function createGitRunner(options: GitRunnerOptions = {}): GitRunner {
  const binary = options.gitBinary ?? 'git';
  return (args, call) =>
    new Promise<GitResult>((resolve, reject) => {
      execFile(
        binary,
        [...args],
        {
          cwd: call.cwd,
          env: options.env,
          timeout: call.timeoutMs ?? options.timeoutMs ?? 60_000,
          maxBuffer: MAX_BUFFER,
          encoding: 'utf8',
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          if (!error) return resolve({ stdout, stderr });
          const spawnCode = (error as NodeJS.ErrnoException).code;
          const exitCode = typeof spawnCode === 'number' ? spawnCode : null;
          const reason = error.killed
            ? 'timed out'
            : spawnCode === 'ENOENT' && exitCode === null
              ? `cannot run ${binary} (not installed, or cwd ${call.cwd} missing)`
              : `exit ${exitCode ?? String(spawnCode)}`;
          reject(
            new WorkspaceError('workspace.git_failed', `git ${args[0] ?? ''} failed (${reason}): ${stderrHeadline(stderr)}`, {
              args: [...args],
              cwd: call.cwd,
              exitCode,
              signal: error.signal ?? null,
              stderr,
            }),
          );
        },
      );
    });
}

/** `exitCode` of a failed git call, or null when it did not run to completion. */
export function gitExitCode(err: unknown): number | null {
  const details = (err as { details?: { exitCode?: unknown } } | undefined)?.details;
  return typeof details?.exitCode === 'number' ? details.exitCode : null;
}

/** stderr of a failed git call ('' for anything else). */
export function gitStderr(err: unknown): string {
  const details = (err as { details?: { stderr?: unknown } } | undefined)?.details;
  return typeof details?.stderr === 'string' ? details.stderr : '';
}

/** The line that says what went wrong (`fatal:`/`error:`), not git's progress chatter. */
export function stderrHeadline(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[lines.length - 1] ?? '';
}
