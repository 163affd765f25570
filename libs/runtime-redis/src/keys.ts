/**
 * Key layout. Every key of one shard shares the hash tag `{s<n>}`, so each Lua script touches one
 * Redis Cluster slot. The prefix separates deployments (and tests) sharing one Redis.
 */
export class RedisKeys {
  /** `cluster`: the keys live on a Redis Cluster (BullMQ's prefix then needs a hash tag). */
  constructor(
    readonly prefix: string,
    readonly cluster = false,
  ) {}

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
  /** Hash member → JSON of what it published with its last heartbeat (capacity, load). */
  memberInfo(): string {
    return `${this.prefix}:member-info`;
  }
  /** Hash member → JSON {reason, at}: members that take no new work (federation drain). */
  draining(): string {
    return `${this.prefix}:draining`;
  }
  replyChannel(instance: string): string {
    return `${this.prefix}:reply:${instance}`;
  }
  /** A published ask reply, kept briefly for an asker that missed the publication (`{instance}`: one slot per asker, so MGET works on a cluster). */
  reply(instance: string, request: string): string {
    return `${this.prefix}:reply:{${instance}}:${request}`;
  }
  /** BullMQ prefix (its own keys live under it; see `bullPrefix`). */
  bullPrefix(): string {
    return bullPrefix(this.prefix, this.cluster);
  }
  shardFromKey(key: string): number {
    const m = /\{s(\d+)\}/.exec(key);
    if (!m) throw new Error(`not a shard key: ${key}`);
    return Number(m[1]);
  }
}

export const GROUP = 'runtime';

/**
 * BullMQ's key prefix for a deployment. A BullMQ queue's scripts touch many keys of the queue at once,
 * so on a Redis Cluster the prefix must be a hash tag (`{godel:bull}`: every queue of the deployment
 * in one slot, BullMQ's documented requirement). Single Redis keeps the plain `godel:bull`.
 */
export function bullPrefix(keyPrefix: string, cluster: boolean): string {
  return cluster ? `{${keyPrefix}:bull}` : `${keyPrefix}:bull`;
}
