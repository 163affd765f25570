import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { RateLimitedError } from './errors';

let lua: string | undefined;

/** A token bucket per API key in Redis (`takeToken-1.lua`): every instance shares one budget per key. */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly limit: { perSecond: number; burst: number },
  ) {
    lua ??= readFileSync(join(__dirname, 'commands', 'takeToken-1.lua'), 'utf8');
    if (typeof (redis as unknown as Record<string, unknown>).takeToken !== 'function') redis.defineCommand('takeToken', { numberOfKeys: 1, lua });
  }

  /** Takes one token for `subject`, or throws rate.limited with the wait until the next one. */
  async take(subject: string, cost = 1): Promise<{ remaining: number }> {
    const key = `${this.prefix}:rl:{${subject}}`;
    const run = (this.redis as unknown as { takeToken(...a: Array<string | number>): Promise<[number, number]> }).takeToken;
    const [ok, n] = await run.call(this.redis, key, this.limit.perSecond, this.limit.burst, cost);
    if (ok !== 1) throw new RateLimitedError(n);
    return { remaining: n };
  }
}
