/**
 * What a supervisor does about a failed child (OTP / Akka vocabulary):
 * - `resume`: ignore the failure, the child keeps running as it is;
 * - `restart`: stop the child (and, depending on the strategy, some siblings) and start it again;
 * - `stop`: stop the child for good and remove it from the supervisor;
 * - `escalate`: the supervisor cannot handle it and fails itself, so its parent decides.
 */
export type Directive = 'resume' | 'restart' | 'stop' | 'escalate';

/**
 * Chooses a directive for one failure. `attempt` is the number of consecutive failures of this
 * child including this one (1 for the first failure since the last reset).
 */
export type Decider = (error: unknown, attempt: number) => Directive;

/**
 * Restart everything, except errors that say they will not get better: an error whose
 * `retryable` flag is exactly `false` (a `GodelError`, or its JSON form after crossing a process
 * boundary, so matched by shape, not `instanceof`) stops the child, since restarting it would fail
 * the same way (compare Akka stopping on `ActorInitializationException`). Errors without the flag
 * restart. Crash loops are bounded by the strategy's restart intensity, not here.
 */
export const defaultDecider: Decider = (error) => (isNonRetryable(error) ? 'stop' : 'restart');

function isNonRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false;
}
