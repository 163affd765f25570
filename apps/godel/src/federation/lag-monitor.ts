import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 20;

/**
 * Event-loop delay p99 over a sliding pair of windows (perf_hooks monitorEventLoopDelay): the health
 * signal members publish. A member that was paused or starved shows the gap as lag until a whole
 * window has passed without it. The histogram records whole intervals between its timer's ticks, so
 * the resolution is taken off: an idle member reports ~0, not 20 ms.
 */
export class LagMonitor {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private previousP99 = 0;
  private timer?: ReturnType<typeof setInterval>;

  constructor(private readonly windowMs = 5000) {}

  start(): void {
    this.h.enable();
    this.timer = setInterval(() => {
      this.previousP99 = this.currentP99();
      this.h.reset();
    }, this.windowMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.h.disable();
  }

  /** The larger of this window's and the last window's p99, in ms. */
  p99Ms(): number {
    return Math.round(Math.max(this.previousP99, this.currentP99()));
  }

  private currentP99(): number {
    return this.h.count > 0 ? Math.max(0, this.h.percentile(99) / 1e6 - RESOLUTION_MS) : 0;
  }
}
