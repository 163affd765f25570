import { Logger } from '@nestjs/common';
import { pruneOlderThan, type EventLog } from '@godel/persistence';
import type { DataSource } from 'typeorm';

/**
 * Retention of the event log and the audit log: every `everyMs`, rows older than `days` go
 * (GODEL_RETENTION_DAYS, default 30; 0 keeps everything). Every runtime instance runs it; the
 * deletes are idempotent, so two instances pruning at once only repeat an empty DELETE.
 */
export class Retention {
  private timer?: ReturnType<typeof setInterval>;
  private running = false;
  private readonly log = new Logger('retention');

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventLog,
    private readonly o: { days: number; everyMs: number },
  ) {}

  start(): void {
    if (this.o.days <= 0) return;
    this.timer = setInterval(() => void this.runOnce().catch(() => undefined), this.o.everyMs);
    this.timer.unref();
    void this.runOnce().catch(() => undefined);
  }

  async runOnce(): Promise<{ events: number; audit: number }> {
    if (this.running || this.o.days <= 0) return { events: 0, audit: 0 };
    this.running = true;
    try {
      const n = await pruneOlderThan(this.ds, this.o.days);
      if (n.events + n.audit > 0) {
        this.log.log(JSON.stringify({ event: 'retention.pruned', days: this.o.days, ...n }));
        await this.events.append({ type: 'retention.pruned', data: { days: this.o.days, ...n } });
      }
      return n;
    } catch (err) {
      this.log.error(JSON.stringify({ event: 'retention.failed', error: err instanceof Error ? err.message : String(err) }));
      throw err;
    } finally {
      this.running = false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
