import type { Lease, LeaseManager } from '@godel/actors';
import type { RedisKeys } from './keys';
import type { ScriptedRedis } from './scripts';

/**
 * Single-instance Lua leases with a fencing epoch per shard (docs/adr/0001-leases.md says why not
 * redlock). Expiry uses Redis' own clock (PEXPIRE), so holders need no synchronised clocks.
 */
export class RedisLeaseManager implements LeaseManager {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: RedisKeys,
  ) {}

  async acquire(shard: number, owner: string, ttlMs: number): Promise<Lease | undefined> {
    const r = (await this.redis.acquireLease(this.keys.lease(shard), this.keys.epoch(shard), owner, ttlMs)) as [number, number | string, number?];
    if (Number(r[0]) !== 1) return undefined;
    return { shard, owner, epoch: Number(r[1]) };
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.renewLease(this.keys.lease(lease.shard), lease.owner, lease.epoch, ttlMs)) === 1;
  }

  async release(lease: Lease): Promise<boolean> {
    return Number(await this.redis.releaseLease(this.keys.lease(lease.shard), lease.owner, lease.epoch)) === 1;
  }

  async holder(shard: number): Promise<Lease | undefined> {
    const h = await this.redis.hgetall(this.keys.lease(shard));
    if (!h || !h.owner) return undefined;
    return { shard, owner: h.owner, epoch: Number(h.epoch) };
  }

  async raiseEpoch(shard: number, atLeast: number): Promise<void> {
    await this.redis.raiseEpoch(this.keys.epoch(shard), atLeast);
  }
}
