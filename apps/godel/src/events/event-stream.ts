import { EventLog, type StoredEvent } from '@godel/persistence';
import type { Redis } from 'ioredis';

export interface StreamFilter {
  agent?: string;
  team?: string;
  type?: string;
}

interface Subscriber {
  filter: StreamFilter;
  after: number;
  send(events: StoredEvent[]): void;
  busy: boolean;
  again: boolean;
}

/**
 * Live fan-out of the event log across instances: each committed batch publishes its highest
 * sequence number on a Redis channel; every instance wakes its SSE subscribers, which read what
 * follows their last sequence from PostgreSQL (so order and completeness come from the log, and a
 * lost notification only delays delivery until the next one or the periodic check).
 */
export class EventStream {
  private readonly subs = new Set<Subscriber>();
  private sub?: Redis;
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly log: EventLog,
    private readonly redis: Redis,
    private readonly channel: string,
  ) {}

  async start(): Promise<void> {
    this.log.onAppended((seq) => void this.redis.publish(this.channel, String(seq)).catch(() => undefined));
    this.sub = this.redis.duplicate();
    this.sub.on('error', () => undefined);
    this.sub.on('message', () => this.wakeAll());
    await this.sub.subscribe(this.channel);
    this.timer = setInterval(() => this.wakeAll(), 2000);
    this.timer.unref();
  }

  subscribe(filter: StreamFilter, after: number, send: (events: StoredEvent[]) => void): () => void {
    const s: Subscriber = { filter, after, send, busy: false, again: false };
    this.subs.add(s);
    void this.pump(s);
    return () => this.subs.delete(s);
  }

  get subscribers(): number {
    return this.subs.size;
  }

  private wakeAll(): void {
    for (const s of this.subs) void this.pump(s);
  }

  private async pump(s: Subscriber): Promise<void> {
    if (s.busy) {
      s.again = true;
      return;
    }
    s.busy = true;
    try {
      do {
        s.again = false;
        for (;;) {
          const batch = await this.log.list({ ...s.filter, after: s.after, limit: 500 });
          if (batch.length === 0 || !this.subs.has(s)) break;
          s.after = batch[batch.length - 1].seq;
          s.send(batch);
          if (batch.length < 500) break;
        }
      } while (s.again && this.subs.has(s));
    } catch {
      // the next wake-up retries from the same sequence
    } finally {
      s.busy = false;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.subs.clear();
    this.sub?.disconnect();
  }
}
