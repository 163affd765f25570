import { Inject, Injectable } from '@nestjs/common';
import type { Envelope, RuntimeStats } from '@godel/actors';
import type { DataSource } from 'typeorm';
import type { BuiltRuntime } from './build-runtime';
import { DATA_SOURCE, RUNTIME } from '../tokens';

export interface InstanceView {
  instance: string;
  /** Heartbeating now (in the membership set); false for a lease holder whose heartbeat expired. */
  live: boolean;
  /** The instance answering this request. */
  self: boolean;
  shards: number[];
}

export interface InstancesView {
  shardCount: number;
  items: InstanceView[];
  /** Shards whose lease nobody holds right now (between an owner's death and a takeover). */
  unowned: number[];
}

/** What the HTTP layer asks of the runtime itself: stats, raw messages, mailboxes, members, readiness. */
@Injectable()
export class RuntimeService {
  constructor(
    @Inject(RUNTIME) private readonly runtime: BuiltRuntime,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
  ) {}

  get instanceId(): string {
    return this.runtime.system.instanceId;
  }

  stats(): RuntimeStats {
    return this.runtime.system.stats();
  }

  tell(to: string, type: string, payload: unknown, extra: Partial<Envelope> = {}): Promise<void> {
    return this.runtime.system.tell(to, type, payload, extra);
  }

  ask<T = unknown>(to: string, type: string, payload: unknown, timeoutMs: number, extra: Partial<Envelope> = {}): Promise<T> {
    return this.runtime.system.ask<T>(to, type, payload, timeoutMs, extra);
  }

  depth(to: string): Promise<number> {
    return this.runtime.system.depth(to);
  }

  /** Dead letters across shards, newest first. */
  async deadLetters(limit: number): Promise<unknown[]> {
    const shards = this.runtime.system.shardCount;
    const lists = await Promise.all(Array.from({ length: shards }, (_, s) => this.runtime.mailbox.listDeadLetters(s, limit)));
    return lists.flat().sort((a, b) => b.at - a.at).slice(0, limit);
  }

  /** The live members of the cluster and the shards each one holds, read from Redis (any instance answers the same). */
  async instances(): Promise<InstancesView> {
    const shardCount = this.runtime.system.shardCount;
    const [members, holders] = await Promise.all([
      this.runtime.membership.liveMembers(),
      Promise.all(Array.from({ length: shardCount }, (_, s) => this.runtime.leases.holder(s))),
    ]);
    const self = this.runtime.system.instanceId;
    const byInstance = new Map<string, InstanceView>(members.map((m) => [m, { instance: m, live: true, self: m === self, shards: [] }]));
    const unowned: number[] = [];
    holders.forEach((h, shard) => {
      if (!h) return void unowned.push(shard);
      let view = byInstance.get(h.owner);
      if (!view) byInstance.set(h.owner, (view = { instance: h.owner, live: false, self: h.owner === self, shards: [] }));
      view.shards.push(shard);
    });
    const items = [...byInstance.values()].sort((a, b) => a.instance.localeCompare(b.instance));
    return { shardCount, items, unowned };
  }

  /** Whether Redis and PostgreSQL answer within a second each. */
  async readiness(): Promise<{ redis: boolean; postgres: boolean }> {
    const timeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 1000).unref())]);
    const [redis, pg] = await Promise.allSettled([timeout(this.runtime.redis.ping()), timeout(this.ds.query('SELECT 1'))]);
    return { redis: redis.status === 'fulfilled', postgres: pg.status === 'fulfilled' };
  }
}
