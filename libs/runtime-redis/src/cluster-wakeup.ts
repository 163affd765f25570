import type { Cluster } from 'ioredis';
import { clusterSlots, keySlot } from './cluster-nodes';
import type { RedisKeys } from './keys';
import type { ScriptedRedis } from './scripts';

export interface ClusterWakeupOptions {
  /** Pause between two polls of a node with nothing new (default 20 ms). */
  pollMs?: number;
  /** At least this often every shard is reported ready, whatever the polls said (default 1 s): a stale slot map cannot hide entries. */
  sweepMs?: number;
}

/**
 * The shard reader's wake-up on a Redis Cluster. A blocking XREAD over many shard streams fails
 * with CROSSSLOT (each shard is its own slot, even on one node), so the shards are grouped by the
 * master that owns their slot (the client's slot map) and each group is polled with one
 * `peekMailboxes-1` script on its node (`allow-cross-slot-keys`: it reads the group's streams,
 * which that node holds). Groups are rebuilt on every call, so a MOVED (slot migration, failover)
 * that refreshed ioredis' slot map re-groups the next wait. A script run on a node that no longer
 * holds a stream sees it empty; the periodic sweep (every shard reported ready) bounds that delay.
 */
export class ClusterWakeup {
  private lastSweep = performance.now();

  constructor(
    private readonly redis: ScriptedRedis & Cluster,
    private readonly keys: RedisKeys,
    private readonly o: ClusterWakeupOptions = {},
  ) {}

  /** Shards grouped by the node that owns their slot (unknown slots form their own group). */
  groups(shards: number[]): number[][] {
    const byNode = new Map<string, number[]>();
    const slots = clusterSlots(this.redis);
    for (const s of shards) {
      const node = slots[keySlot(this.keys.mailbox(s))]?.[0] ?? `?${s}`;
      const g = byNode.get(node);
      if (g) g.push(s);
      else byNode.set(node, [s]);
    }
    return [...byNode.values()];
  }

  async wait(after: Map<number, string>, blockMs: number): Promise<number[]> {
    const end = performance.now() + blockMs;
    const pollMs = this.o.pollMs ?? 20;
    for (;;) {
      if (performance.now() - this.lastSweep >= (this.o.sweepMs ?? 1000)) {
        this.lastSweep = performance.now();
        return [...after.keys()];
      }
      const found = (await Promise.all(this.groups([...after.keys()]).map((g) => this.peek(g, after)))).flat();
      if (found.length > 0 || performance.now() + pollMs >= end) return found;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private async peek(group: number[], after: Map<number, string>): Promise<number[]> {
    const args: string[] = [];
    for (const s of group) args.push(this.keys.mailbox(s), after.get(s)!);
    try {
      const hits = (await this.redis.peekMailboxes(this.keys.mailbox(group[0]), ...args)) as Array<number | string>;
      return hits.map((i) => group[Number(i) - 1]);
    } catch {
      // A node going away, a slot moving, CLUSTERDOWN: let the reads (fenced) find out.
      return group;
    }
  }
}
