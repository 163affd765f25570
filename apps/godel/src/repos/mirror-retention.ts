import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { RepoMirrors } from '@godel/workspace';

const DAY_MS = 86_400_000;

/**
 * Mirror GC on this instance (issue 12): every `everyMs` (GODEL_CLEANUP_EVERY_MS), mirrors under
 * `$GODEL_HOME/mirrors` not used for `ttlDays` (GODEL_MIRROR_TTL_DAYS, 0 = keep) are removed —
 * never one a worktree is built on or a git operation is using (RepoMirrors.gc).
 */
export class MirrorRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: ReturnType<typeof setInterval>;
  private readonly log = new Logger('mirrors');

  constructor(
    private readonly mirrors: RepoMirrors,
    private readonly o: { ttlDays: number; everyMs: number },
  ) {}

  onApplicationBootstrap(): void {
    if (this.o.ttlDays <= 0) return;
    this.timer = setInterval(() => void this.runOnce(), this.o.everyMs);
    this.timer.unref();
  }

  async runOnce(): Promise<void> {
    try {
      const r = await this.mirrors.gc(this.o.ttlDays * DAY_MS);
      if (r.removed.length > 0) this.log.log(JSON.stringify({ event: 'mirrors.removed', ttlDays: this.o.ttlDays, ...r }));
    } catch (err) {
      this.log.error(JSON.stringify({ event: 'mirrors.gc_failed', error: err instanceof Error ? err.message : String(err) }));
    }
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
