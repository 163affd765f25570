import { assertBackoffPolicy, backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff';
import { defaultDecider, type Decider, type Directive } from './directive';
import { defaultIntensity, RestartWindow, type RestartIntensity } from './restart-intensity';

export interface SupervisorStrategyOptions {
  decider?: Decider;
  intensity?: RestartIntensity;
  backoff?: BackoffPolicy;
  /** Source of jitter, [0, 1) like Math.random; pass a constant or a seeded one in tests. */
  random?: () => number;
}

/** What to do about one failure; the runtime's activation carries it out for one message. */
export interface SupervisionDecision {
  directive: Directive;
  /** Children to restart (`restart`) or stop (`stop`), in start order; empty for resume/escalate. */
  affected: string[];
  /** Backoff before the affected children are started again; 0 unless `restart`. */
  delayMs: number;
  /** Consecutive failures of the failed child, this one included. */
  attempt: number;
  reason?: string;
}

export const RESTART_INTENSITY_EXCEEDED = 'restart intensity exceeded';

/**
 * Turns a child failure into a decision. Subclasses only choose which children a restart takes
 * along (today only one-for-one: the runtime retries one actor's message, see activation.ts); the
 * decider, backoff and restart intensity are shared. Holds per-child state: `attempt` counts consecutive failures (drives the backoff and is
 * cleared by `reset` once the child proved healthy); the restart window counts restarts in time
 * (drives escalation). Pure apart from that state: time and randomness come from the caller.
 */
export abstract class SupervisorStrategy {
  readonly decider: Decider;
  readonly intensity: RestartIntensity;
  readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly window: RestartWindow;
  private readonly attempts = new Map<string, number>();

  constructor(opts: SupervisorStrategyOptions = {}) {
    this.decider = opts.decider ?? defaultDecider;
    this.intensity = opts.intensity ?? defaultIntensity;
    this.backoff = opts.backoff ?? defaultBackoff;
    this.random = opts.random ?? Math.random;
    assertBackoffPolicy(this.backoff);
    this.window = new RestartWindow(this.intensity);
  }

  /** `children` are all children of the supervisor in start order; `failedChild` must be one. */
  decide(failedChild: string, children: readonly string[], error: unknown, now: number): SupervisionDecision {
    if (!children.includes(failedChild)) throw new RangeError(`unknown child '${failedChild}'`);
    const attempt = (this.attempts.get(failedChild) ?? 0) + 1;
    this.attempts.set(failedChild, attempt);
    const directive = this.decider(error, attempt);
    switch (directive) {
      case 'resume':
      case 'escalate':
        return { directive, affected: [], delayMs: 0, attempt };
      case 'stop':
        return { directive, affected: [failedChild], delayMs: 0, attempt };
      case 'restart':
        if (!this.window.allows(failedChild, now)) {
          return { directive: 'escalate', affected: [], delayMs: 0, attempt, reason: RESTART_INTENSITY_EXCEEDED };
        }
        this.window.record(failedChild, now);
        return {
          directive,
          affected: this.restartSet(failedChild, children),
          delayMs: backoffDelay(this.backoff, attempt, this.random),
          attempt,
        };
      default:
        throw new RangeError(`decider returned an unknown directive: ${String(directive)}`);
    }
  }

  /** Consecutive failures recorded for `child` since its last reset. */
  attemptsOf(child: string): number {
    return this.attempts.get(child) ?? 0;
  }

  /** The child is healthy again: the next failure is attempt 1 and backs off from initialMs. */
  reset(child: string): void {
    this.attempts.delete(child);
  }

  /** Forgets the child entirely (attempts and restart window), e.g. once it is removed. */
  forget(child: string): void {
    this.attempts.delete(child);
    this.window.forget(child);
  }

  /** Children restarted along with `failedChild`, in start order, `failedChild` included. */
  protected abstract restartSet(failedChild: string, children: readonly string[]): string[];
}
