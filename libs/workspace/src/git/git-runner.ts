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

/**
 * Put before every git command Godel runs, so nothing written into a repository's `.git` (its
 * config, by an agent or a cloned repository) runs as the server: no hooks (`core.hooksPath`), no
 * fsmonitor daemon command, no `ext::` transport (runs a command), no credential helper or
 * askpass program, no pager. A caller that means to run a hook passes its own
 * `-c core.hooksPath=<repo>/hooks` after these (the last one wins): only the worktree manager's
 * `post-checkout`, with the repository's own hooks folder.
 */
export const HARDENED_GIT_CONFIG: readonly string[] = [
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.fsmonitor=false',
  '-c', 'protocol.ext.allow=never',
  '-c', 'credential.helper=',
  '-c', 'core.askPass=',
  '-c', 'core.pager=cat',
];

export function createGitRunner(options: GitRunnerOptions = {}): GitRunner {
  const binary = options.gitBinary ?? 'git';
  return (args, call) =>
    new Promise<GitResult>((resolve, reject) => {
      execFile(
        binary,
        [...HARDENED_GIT_CONFIG, ...args],
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
            new WorkspaceError('workspace.git_failed', `git ${firstCommand(args)} failed (${reason}): ${stderrHeadline(stderr)}`, {
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

/** The subcommand of an argv (after leading `-c key=value` pairs). */
function firstCommand(args: readonly string[]): string {
  let i = 0;
  while (args[i] === '-c') i += 2;
  return args[i] ?? '';
}
