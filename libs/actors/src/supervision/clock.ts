/**
 * Time as a dependency. Supervisors read the time and schedule restarts through a `Clock`, so tests
 * drive them with a `FakeClock` instead of sleeping (the Temporal SDK calls this time skipping).
 */
declare const timerHandleBrand: unique symbol;

/** Opaque handle returned by `Clock.setTimeout`; only meaningful to the clock that issued it. */
export type TimerHandle = { readonly [timerHandleBrand]: true };

export interface Clock {
  /** Milliseconds since some fixed origin (epoch for the system clock, 0 for a fresh FakeClock). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The host's timer behind each handle the system clock gave out. */
const hostTimers = new WeakMap<TimerHandle, ReturnType<typeof setTimeout>>();

/** The real clock: `Date.now` and the host's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle = {} as TimerHandle;
    hostTimers.set(handle, setTimeout(fn, ms));
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(hostTimers.get(handle)),
};

interface FakeTimer {
  readonly handle: TimerHandle;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * A manual clock for tests. Time moves only through `advance` / `runAll`; due timers fire
 * synchronously in (due time, scheduling order), and `now()` inside a callback equals that timer's
 * due time. Timers scheduled by a firing callback fire in the same `advance` if they fall due
 * within it. A callback that throws aborts the `advance` and leaves later timers pending.
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly timers = new Map<TimerHandle, FakeTimer>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = {} as TimerHandle;
    const delay = Number.isNaN(ms) ? 0 : Math.max(0, ms);
    this.timers.set(handle, { handle, due: this.current + delay, fn });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  /** Number of timers scheduled and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.current + ms;
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) this.fire(next);
    this.current = target;
  }

  /**
   * Fires timers until none is left, jumping time to each one's due time. Throws after `maxTimers`
   * firings, which means some callback keeps rescheduling itself.
   */
  runAll(maxTimers = 10_000): void {
    for (let fired = 0; ; fired++) {
      const next = this.nextDue(Infinity);
      if (!next) return;
      if (fired >= maxTimers) throw new Error(`FakeClock.runAll: more than ${maxTimers} timers fired`);
      this.fire(next);
    }
  }

  private fire(timer: FakeTimer): void {
    this.timers.delete(timer.handle);
    this.current = Math.max(this.current, timer.due);
    timer.fn();
  }

  private nextDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.due > limit) continue;
      if (!best || t.due < best.due) best = t; // ties: Map order, i.e. scheduling order
    }
    return best;
  }
}
