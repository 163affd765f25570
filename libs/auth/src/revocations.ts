import type { Cluster, Redis } from 'ioredis';

export interface RevocationOptions {
  /** Reads every revoked key id (the source of truth, PostgreSQL). */
  load: () => Promise<string[]>;
  /** A dedicated connection for SUBSCRIBE, and one to PUBLISH on. */
  subscriber: Redis | Cluster;
  publisher: Redis | Cluster;
  /** Pub/sub channel under the deployment's key prefix. */
  channel: string;
  /** Periodic re-read, in case a message was missed while disconnected (default 5 s). */
  reloadMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * The revoked key ids, in memory on every instance so the per-request check costs nothing.
 * A revocation is published on Redis and reaches every instance in milliseconds; the set is also
 * re-read from PostgreSQL periodically and on (re)subscribe. Revocation is permanent, so the set only grows.
 */
export class Revocations {
  private readonly revoked = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: RevocationOptions) {}

  async start(): Promise<void> {
    this.o.subscriber.on('message', (channel: string, id: string) => {
      if (channel === this.o.channel) this.revoked.add(id);
    });
    await this.o.subscriber.subscribe(this.o.channel);
    // Re-read after every reconnect: messages published while disconnected are lost.
    this.o.subscriber.on('ready', () => void this.reload());
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.o.reloadMs ?? 5000);
    this.timer.unref();
  }

  isRevoked(keyId: string): boolean {
    return this.revoked.has(keyId);
  }

  /**
   * Marks a key revoked here and tells every other instance. The revocation is already committed in
   * PostgreSQL: when Redis cannot carry the news, the failure is reported (onError) and the other
   * instances learn it at their next periodic re-read instead.
   */
  async announce(keyId: string): Promise<void> {
    this.revoked.add(keyId);
    try {
      await this.o.publisher.publish(this.o.channel, keyId);
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  async reload(): Promise<void> {
    try {
      for (const id of await this.o.load()) this.revoked.add(id);
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.o.subscriber.disconnect();
  }
}
