import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { StorageUnavailableError } from '@godel/actors';
import { RateLimitedError } from './errors';

function connected(redis: Redis | Cluster, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, ms);
    redis.once('ready', onReady);
  });
}

let lua: string | undefined;

/** A token bucket per API key in Redis (`takeToken-1.lua`): every instance shares one budget per key. */
export class RateLimiter {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    readonly limit: { perSecond: number; burst: number },
  ) {
    lua ??= readFileSync(join(__dirname, 'commands', 'takeToken-1.lua'), 'utf8');
    if (typeof Reflect.get(redis, 'takeToken') !== 'function') redis.defineCommand('takeToken', { numberOfKeys: 1, lua });
  }

  /**
   * Takes one token for `subject`, or throws rate.limited with the wait until the next one. Not
   * idempotent, so never resent: the server's client drops a command whose reply a cut lost (at most
   * one token spent per request). Redis unreachable for `unavailableAfterMs`: storage.unavailable
   * (503), not a hang in the offline queue.
   */
  async take(subject: string, cost = 1, unavailableAfterMs = 1000): Promise<{ remaining: number }> {
    const key = `${this.prefix}:rl:{${subject}}`;
    const run = Reflect.get(this.redis, 'takeToken') as (...a: Array<string | number>) => Promise<[number, number]>;
    if (!(await connected(this.redis, unavailableAfterMs))) throw new StorageUnavailableError('rate limiter (Redis)', 'not connected');
    let ok: number;
    let n: number;
    try {
      [ok, n] = await run.call(this.redis, key, this.limit.perSecond, this.limit.burst, cost);
    } catch (err) {
      if (/Connection is closed|Cluster is ended|CLUSTERDOWN|max retries|Stream isn't writeable|ECONN/i.test(String((err as Error)?.message))) throw new StorageUnavailableError('rate limiter (Redis)', err);
      throw err;
    }
    if (ok !== 1) throw new RateLimitedError(n);
    return { remaining: n };
  }
}
