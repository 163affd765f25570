import { WorkspaceError } from '../errors/workspace-error';
import { gitStderr, stderrHeadline } from './git-runner';
import { isTransientGitError } from './transient-errors';

export interface LockRetryPolicy {
  /** Total tries including the first; default 8. */
  attempts: number;
  /** Delay before the second try; doubles each time (with jitter). Default 25 ms. */
  baseDelayMs: number;
  /** Cap of one delay; default 1000 ms. Defaults wait at most ~3 s in all. */
  maxDelayMs: number;
}

export const DEFAULT_LOCK_RETRY: LockRetryPolicy = { attempts: 8, baseDelayMs: 25, maxDelayMs: 1000 };

export interface RetryHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called before each wait; `attempt` is the try that just failed (1-based). */
  onRetry?: (attempt: number, delayMs: number, err: unknown) => void;
}

/** Delay after failed try `attempt` (1-based): exponential, capped, jittered into [50 %, 100 %]. */
export function backoffDelay(attempt: number, policy: LockRetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * Runs `fn` and runs it again while it fails because another git process is busy in the same
 * repository (holds `index.lock`, a ref lock, `config.lock`, or is creating a worktree; see
 * transient-errors.ts). Other errors pass through at once. When the tries
 * run out, throws retryable `workspace.locked` with the last stderr. `fn` gets the try number so
 * it can repair state a failed try left behind.
 */
export async function retryOnLock<T>(
  fn: (attempt: number) => Promise<T>,
  policy: LockRetryPolicy = DEFAULT_LOCK_RETRY,
  hooks: RetryHooks = {},
): Promise<T> {
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = hooks.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const stderr = gitStderr(err);
      if (!isTransientGitError(stderr)) throw err;
      if (attempt >= policy.attempts) {
        throw new WorkspaceError('workspace.locked', `git still busy (lock held or concurrent change) after ${attempt} tries: ${stderrHeadline(stderr)}`, {
          attempts: attempt,
          stderr,
          args: (err as { details?: { args?: unknown } }).details?.args,
        });
      }
      const delay = backoffDelay(attempt, policy, random);
      hooks.onRetry?.(attempt, delay, err);
      await sleep(delay);
    }
  }
}
