import type { Membership } from '@godel/actors';
import type { RedisKeys } from './keys';
import type { ScriptedRedis } from './scripts';

/** Live instances: a sorted set scored by heartbeat expiry on the Redis clock. */
export class RedisMembership implements Membership {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: RedisKeys,
  ) {}

  async heartbeat(member: string, ttlMs: number): Promise<void> {
    await this.redis.heartbeatMember(this.keys.members(), member, ttlMs);
  }

  async liveMembers(): Promise<string[]> {
    return ((await this.redis.liveMembers(this.keys.members())) as string[]).map(String);
  }

  async leave(member: string): Promise<void> {
    await this.redis.zrem(this.keys.members(), member);
  }
}
