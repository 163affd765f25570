/**
 * Key layout. Every key of one shard shares the hash tag `{s<n>}`, so each Lua script touches one
 * Redis Cluster slot. The prefix separates deployments (and tests) sharing one Redis.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  private shard(n: number, name: string): string {
    return `${this.prefix}:{s${n}}:${name}`;
  }

  mailbox(n: number): string {
    return this.shard(n, 'mbox');
  }
  depth(n: number): string {
    return this.shard(n, 'depth');
  }
  lease(n: number): string {
    return this.shard(n, 'lease');
  }
  epoch(n: number): string {
    return this.shard(n, 'epoch');
  }
  deadLetters(n: number): string {
    return this.shard(n, 'dlq');
  }
  seen(n: number, envelopeId: string): string {
    return this.shard(n, `seen:${envelopeId}`);
  }
  members(): string {
    return `${this.prefix}:members`;
  }
  replyChannel(instance: string): string {
    return `${this.prefix}:reply:${instance}`;
  }
  /** A published ask reply, kept briefly for an asker that missed the publication. */
  reply(instance: string, request: string): string {
    return `${this.prefix}:reply:${instance}:${request}`;
  }
  /** BullMQ prefix (its own keys live under it). */
  bullPrefix(): string {
    return `${this.prefix}:bull`;
  }
  shardFromKey(key: string): number {
    const m = /\{s(\d+)\}/.exec(key);
    if (!m) throw new Error(`not a shard key: ${key}`);
    return Number(m[1]);
  }
}

export const GROUP = 'runtime';
