/**
 * Exponential backoff between restarts: initialMs, initialMs*multiplier, ... capped at maxMs, each
 * delay spread by ±jitter so that children failing together do not restart in lockstep.
 */
export interface BackoffPolicy {
  /** Delay before the first restart. */
  initialMs: number;
  /** Hard ceiling: no delay, jitter included, is ever longer. */
  maxMs: number;
  /** Growth factor per consecutive failure, >= 1. */
  multiplier: number;
  /** Spread as a fraction of the delay, 0..1: 0.2 means anywhere in [0.8d, 1.2d]. */
  jitter: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, multiplier: 2, jitter: 0.2 };

/** Throws a RangeError describing the first invalid field of `policy`. */
export function assertBackoffPolicy(policy: BackoffPolicy): void {
  const { initialMs, maxMs, multiplier, jitter } = policy;
  if (!(initialMs >= 0 && Number.isFinite(initialMs))) throw new RangeError(`backoff.initialMs must be a finite number >= 0, got ${initialMs}`);
  if (!(maxMs >= initialMs && Number.isFinite(maxMs))) throw new RangeError(`backoff.maxMs must be finite and >= initialMs, got ${maxMs}`);
  if (!(multiplier >= 1 && Number.isFinite(multiplier))) throw new RangeError(`backoff.multiplier must be finite and >= 1, got ${multiplier}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`backoff.jitter must be in [0, 1], got ${jitter}`);
}

/**
 * Delay in whole milliseconds before restart number `attempt` (1-based). Pure: randomness comes
 * from `random`, which must return values in [0, 1) like `Math.random`.
 *
 * base = min(maxMs, initialMs * multiplier^(attempt-1)); delay = base * (1 + jitter * (2r - 1)),
 * then capped at maxMs again, so once the base hits the cap jitter only ever shortens the delay.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  assertBackoffPolicy(policy);
  if (!(Number.isInteger(attempt) && attempt >= 1)) throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  const grown = policy.initialMs === 0 ? 0 : policy.initialMs * Math.pow(policy.multiplier, attempt - 1);
  const base = Math.min(policy.maxMs, grown);
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = base * (1 + policy.jitter * (2 * r - 1));
  return Math.round(Math.min(policy.maxMs, Math.max(0, jittered)));
}
