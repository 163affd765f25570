/**
 * Restart intensity, as in OTP's `intensity`/`period` (Akka's `maxNrOfRetries`/`withinTimeRange`):
 * at most `maxRestarts` restarts within any `withinMs` window; one more and the supervisor
 * escalates instead of restarting. `maxRestarts: 0` never restarts.
 */
export interface RestartIntensity {
  maxRestarts: number;
  withinMs: number;
}

export const defaultIntensity: RestartIntensity = { maxRestarts: 5, withinMs: 60_000 };

/**
 * Sliding window of restart timestamps, kept per child (Akka-style, where OTP counts per
 * supervisor): a restart at time t counts while `now - t < withinMs`.
 */
export class RestartWindow {
  private readonly restarts = new Map<string, number[]>();

  constructor(readonly intensity: RestartIntensity) {
    const { maxRestarts, withinMs } = intensity;
    if (!(Number.isInteger(maxRestarts) && maxRestarts >= 0)) throw new RangeError(`intensity.maxRestarts must be an integer >= 0, got ${maxRestarts}`);
    if (!(withinMs > 0)) throw new RangeError(`intensity.withinMs must be > 0, got ${withinMs}`);
  }

  /** Restarts of `child` that still count at time `now`. */
  count(child: string, now: number): number {
    return this.prune(child, now).length;
  }

  /** Whether one more restart of `child` at `now` stays within the intensity. */
  allows(child: string, now: number): boolean {
    return this.count(child, now) < this.intensity.maxRestarts;
  }

  /** Records a restart of `child` at `now`. */
  record(child: string, now: number): void {
    this.prune(child, now).push(now);
  }

  /** Drops everything known about `child` (removed, or its supervisor started afresh). */
  forget(child: string): void {
    this.restarts.delete(child);
  }

  private prune(child: string, now: number): number[] {
    const kept = (this.restarts.get(child) ?? []).filter((t) => now - t < this.intensity.withinMs);
    this.restarts.set(child, kept);
    return kept;
  }
}
