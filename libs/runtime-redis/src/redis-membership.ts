import type { MemberStatus, Membership } from '@godel/actors';
import type { RedisKeys } from './keys';
import type { ScriptedRedis } from './scripts';

/**
 * Live instances: a sorted set scored by heartbeat expiry on the Redis clock. Each heartbeat also
 * stores what the member publishes (capacity, load) in a hash, and a second hash holds the
 * federation's draining flags; `view()` joins the three for placement. Liveness comes from the
 * sorted set only, so a stale info entry of a dead member is never read as live.
 */
export class RedisMembership implements Membership {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: RedisKeys,
  ) {}

  async heartbeat(member: string, ttlMs: number, info?: Record<string, unknown>): Promise<void> {
    await Promise.all([
      this.redis.heartbeatMember(this.keys.members(), member, ttlMs),
      info ? this.redis.hset(this.keys.memberInfo(), member, JSON.stringify(info)) : undefined,
    ]);
  }

  async liveMembers(): Promise<string[]> {
    return ((await this.redis.liveMembers(this.keys.members())) as string[]).map(String);
  }

  async view(): Promise<MemberStatus[]> {
    const live = await this.liveMembers();
    if (live.length === 0) return [];
    const [infos, draining] = await Promise.all([this.redis.hmget(this.keys.memberInfo(), ...live), this.drainingFlags()]);
    return live.map((id, i) => {
      const info = parseObject(infos[i]);
      const d = draining.get(id);
      return { ...info, id, ...(d ? { draining: d } : {}) } as MemberStatus;
    });
  }

  /** Every draining flag, live member or not. */
  async drainingFlags(): Promise<Map<string, { reason: string; at: string }>> {
    const all = await this.redis.hgetall(this.keys.draining());
    const out = new Map<string, { reason: string; at: string }>();
    for (const [id, raw] of Object.entries(all)) {
      const v = parseObject(raw);
      out.set(id, { reason: String(v.reason ?? 'drain'), at: String(v.at ?? '') });
    }
    return out;
  }

  /** Marks a member draining; false when it already was. */
  async setDraining(member: string, reason: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.draining(), member, JSON.stringify({ reason, at: new Date().toISOString() }))) === 1;
  }

  /** Clears a member's draining flag; false when it was not draining. */
  async clearDraining(member: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.draining(), member)) === 1;
  }

  async leave(member: string): Promise<void> {
    await Promise.all([this.redis.zrem(this.keys.members(), member), this.redis.hdel(this.keys.memberInfo(), member), this.redis.hdel(this.keys.draining(), member)]);
  }
}

function parseObject(raw: string | null | undefined): Record<string, unknown> {
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
