/**
 * TickPipeline (issue 13): the commands of one event-loop turn leave in one socket write, each call
 * settles with its own answer or error.
 * Real: Redis and its Lua scripts. Mocked: nothing (the socket's writes to the kernel are only counted:
 * `_write`/`_writev`, what Node calls once per write syscall, corked or not).
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

  type Lower = { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };

  /** Counts the writes the client's socket hands to the kernel while `fn` runs. */
  async function writes<T>(fn: () => Promise<T>): Promise<{ value: T; writes: number }> {
    const stream = (redis as unknown as { stream: Socket & Lower }).stream;
    const write = stream._write;
    const writev = stream._writev;
    let n = 0;
    stream._write = (...a: unknown[]) => {
      n++;
      write.apply(stream, a);
    };
    stream._writev = (...a: unknown[]) => {
      n++;
      writev.apply(stream, a);
    };
    try {
      return { value: await fn(), writes: n };
    } finally {
      stream._write = write;
      stream._writev = writev;
    }
  }

  it('sends the calls of one turn in one write, and answers each call with its own result', async () => {
    const tick = new TickPipeline(redis);
    const key = (i: number) => `${env.keyPrefix}:tp:${i}`;
    const { value, writes: batched } = await writes(async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => tick.run(() => redis.set(key(i), `v${i}`))));
      return Promise.all(Array.from({ length: 50 }, (_, i) => tick.run(() => redis.get(key(i)))));
    });
    expect(value).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    // Two turns (the sets, then the gets): a handful of writes, not one per command.
    expect(batched).toBeLessThanOrEqual(4);
    const { writes: unbatched } = await writes(() => Promise.all(Array.from({ length: 50 }, (_, i) => redis.get(key(i)))));
    expect(unbatched).toBeGreaterThan(batched);
  });

  it('runs scripts too; one failing command rejects its own call only', async () => {
    const tick = new TickPipeline(redis);
    const list = `${env.keyPrefix}:tp:list`;
    await redis.rpush(list, 'x');
    const channel = `${env.keyPrefix}:tp:chan`;
    const [ok, wrongType, script] = await Promise.allSettled([
      tick.run(() => redis.set(`${env.keyPrefix}:tp:a`, '1')),
      tick.run(() => redis.get(list)),
      tick.run(() => redis.publishReply(`${env.keyPrefix}:tp:r`, channel, '{"request":"r1"}', 60000)),
    ]);
    expect(ok).toEqual({ status: 'fulfilled', value: 'OK' });
    expect(wrongType.status).toBe('rejected');
    expect(String((wrongType as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(script).toEqual({ status: 'fulfilled', value: 0 }); // published to no subscriber, and kept:
    expect(await redis.get(`${env.keyPrefix}:tp:r`)).toBe('{"request":"r1"}');
  });
});
