/**
 * TickPipeline (issue 13): the commands of one event-loop turn leave in one socket write, each call
 * settles with its own answer or error.
 * Real: Redis and its Lua scripts. Mocked: nothing (the socket's writes are only counted).
 */
import { createTestEnv, type TestEnv } from '@godel/testing';
import { TickPipeline, withScripts, type ScriptedRedis } from '@godel/runtime-redis';
import type { Socket } from 'node:net';

describe('TickPipeline (real Redis)', () => {
  let env: TestEnv;
  let redis: ScriptedRedis;
  beforeAll(async () => {
    env = await createTestEnv();
    redis = withScripts(env.redis);
    await redis.ping();
  });
  afterAll(async () => env.cleanup());

  /** Counts the writes on the client's socket while `fn` runs. */
  async function writes<T>(fn: () => Promise<T>): Promise<{ value: T; writes: number }> {
    const stream = (redis as unknown as { stream: Socket }).stream;
    const original = stream.write.bind(stream);
    let n = 0;
    stream.write = ((...args: Parameters<Socket['write']>) => {
      n++;
      return original(...args);
    }) as Socket['write'];
    try {
      return { value: await fn(), writes: n };
    } finally {
      stream.write = original;
    }
  }

  it('sends the calls of one turn in one write, and answers each call with its own result', async () => {
    const tick = new TickPipeline(redis);
    const key = (i: number) => `${env.keyPrefix}:tp:${i}`;
    const { value, writes: batched } = await writes(async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => tick.run(key(i), (p) => p.set(key(i), `v${i}`))));
      return Promise.all(Array.from({ length: 50 }, (_, i) => tick.run<string>(key(i), (p) => p.get(key(i)))));
    });
    expect(value).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    // Two turns (the sets, then the gets): a handful of writes, not one per command.
    expect(batched).toBeLessThanOrEqual(4);
    const { writes: unbatched } = await writes(() => Promise.all(Array.from({ length: 50 }, (_, i) => redis.get(key(i)))));
    expect(unbatched).toBeGreaterThan(batched);
  });

  it('runs scripts on the pipeline; one failing command rejects its own call only', async () => {
    const tick = new TickPipeline(redis);
    const list = `${env.keyPrefix}:tp:list`;
    await redis.rpush(list, 'x');
    const channel = `${env.keyPrefix}:tp:chan`;
    const [ok, wrongType, script] = await Promise.allSettled([
      tick.run(`${env.keyPrefix}:tp:a`, (p) => p.set(`${env.keyPrefix}:tp:a`, '1')),
      tick.run(list, (p) => p.get(list)),
      tick.run(`${env.keyPrefix}:tp:r`, (p) => p.publishReply(`${env.keyPrefix}:tp:r`, channel, '{"request":"r1"}', 60000)),
    ]);
    expect(ok).toEqual({ status: 'fulfilled', value: 'OK' });
    expect(wrongType.status).toBe('rejected');
    expect(String((wrongType as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(script).toEqual({ status: 'fulfilled', value: 0 }); // published to no subscriber, and kept:
    expect(await redis.get(`${env.keyPrefix}:tp:r`)).toBe('{"request":"r1"}');
  });
});
