/**
 * Exactly-once across Redis reconnects (issue 15, docs/adr/0004), at the level of the scripts and of
 * one runtime. Real: Redis, PostgreSQL, the runtime, ioredis; a loopback TCP proxy cuts or refuses
 * the runtime's Redis connections. Mocked: nothing. A "resend" is the same script call made again,
 * which is exactly what ioredis' autoResendUnfulfilledCommands does after a cut lost the reply.
 */
import { makeEnvelope, newMessageId, parseActorId, shardOf, type Envelope } from '@godel/actors';
import { GROUP, RedisKeys, RedisLeaseManager, RedisMailbox, withScripts, type ScriptedRedis } from '@godel/runtime-redis';
import { counterActor, createTestEnv, TcpProxy, type CounterState, type TestEnv } from '@godel/testing';
import { buildRuntime, type BuiltRuntime } from '../../apps/godel/src';

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 20000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not met in ${timeoutMs} ms`);
}

describe('Redis commands resent after a dropped connection are harmless', () => {
  let env: TestEnv;
  let r: ScriptedRedis;
  let keys: RedisKeys;
  let mailbox: RedisMailbox;
  let leases: RedisLeaseManager;
  const shards = 4;

  beforeEach(async () => {
    env = await createTestEnv({ shardCount: shards });
    r = withScripts(env.redis);
    keys = new RedisKeys(env.keyPrefix);
    mailbox = new RedisMailbox(r, keys, { limit: 100 });
    leases = new RedisLeaseManager(r, keys);
  });
  afterEach(async () => {
    await mailbox.close();
    await env.cleanup();
  });

  function envelope(to: string, n: number): Envelope {
    return makeEnvelope(to, 'inc', { n });
  }

  it('a resent append (same envelope id) appends nothing and answers the original stream id', async () => {
    const to = 'counter/resend';
    const shard = shardOf(parseActorId(to), shards);
    const env1 = envelope(to, 1);
    // External tell (no outbox dedupe flag): the same call twice, as a resend would make it.
    const first = await mailbox.append(env1, shard);
    const again = await mailbox.append(env1, shard);
    expect(first.fresh).toBe(true);
    expect(again).toEqual({ streamId: first.streamId, fresh: false });
    // The raw script, as ioredis would resend it: same answer, one entry, depth 1.
    const raw = (await r.sendMessage(keys.mailbox(shard), keys.depth(shard), keys.seen(shard, env1.id), to, 100, JSON.stringify(env1), 60000)) as [string, number];
    expect(raw.map(String)).toEqual([first.streamId, '0']);
    expect(await env.redis.xlen(keys.mailbox(shard))).toBe(1);
    expect(await mailbox.depth(to, shard)).toBe(1);
    // A different id is a different message.
    expect((await mailbox.append(envelope(to, 2), shard)).fresh).toBe(true);
    expect(await env.redis.xlen(keys.mailbox(shard))).toBe(2);
    expect(await mailbox.depth(to, shard)).toBe(2);
  });

  it('a resent read (reply lost) leaves its batch to the same consumer, before any newer entry', async () => {
    const to = 'counter/reread';
    const shard = shardOf(parseActorId(to), shards);
    const lease = (await leases.acquire(shard, 'c1', 10000))!;
    const { lastDeliveredId } = await mailbox.takeOver(shard, 'c1', lease.epoch);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await mailbox.append(envelope(to, i), shard)).streamId);
    // The read runs in Redis but its reply never reaches the client (the cut): the batch sits in c1's pending list.
    const lost = (await r.readMailbox(keys.lease(shard), keys.mailbox(shard), GROUP, 'c1', lease.epoch, 3, lastDeliveredId, 'new')) as unknown[];
    expect(lost).toHaveLength(3);
    const pending = (await env.redis.xpending(keys.mailbox(shard), GROUP)) as [number, ...unknown[]];
    expect(Number(pending[0])).toBe(3);
    // Newer entries arrive meanwhile.
    for (let i = 5; i < 7; i++) sent.push((await mailbox.append(envelope(to, i), shard)).streamId);
    // The client reads again from the last id it knows: it gets the stranded batch first, in order.
    const again = await mailbox.readNew(shard, 'c1', lease.epoch, 10, lastDeliveredId);
    expect(again.map((e) => e.streamId)).toEqual(sent.slice(0, 3));
    const next = await mailbox.readNew(shard, 'c1', lease.epoch, 10, again[again.length - 1].streamId);
    expect(next.map((e) => e.streamId)).toEqual(sent.slice(3));
    expect(await mailbox.readNew(shard, 'c1', lease.epoch, 10, next[next.length - 1].streamId)).toEqual([]);
    // Acknowledging twice (a resent ack) counts once.
    const items = sent.map((streamId) => ({ streamId, actor: to }));
    await mailbox.ack(shard, lease.epoch, items);
    await mailbox.ack(shard, lease.epoch, items);
    expect(await mailbox.depth(to, shard)).toBe(0);
    expect(await env.redis.xlen(keys.mailbox(shard))).toBe(0);
  });
});

describe('one runtime behind a Redis connection that fails', () => {
  let env: TestEnv;
  let proxy: TcpProxy;
  let rt: BuiltRuntime;
  let sender: BuiltRuntime;
  const ttl = 4000;
  const events: Array<{ type: string; data: Record<string, unknown>; at: number }> = [];

  beforeEach(async () => {
    events.length = 0;
    env = await createTestEnv({ shardCount: 4, leaseTtlMs: ttl, idleTimeoutMs: 5000 });
    proxy = new TcpProxy('127.0.0.1', Number(new URL(env.redisUrl).port || 6379));
    await proxy.up();
    rt = buildRuntime({
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      dataSource: env.dataSource,
      keyPrefix: env.keyPrefix,
      runtime: env.config.runtime,
      definitions: [counterActor],
      onEvent: (type, data) => events.push({ type, data, at: performance.now() }),
    });
    sender = buildRuntime({ redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: env.config.runtime, definitions: [counterActor], hostShards: false });
    await rt.system.start();
    await sender.system.start();
  });
  afterEach(async () => {
    await proxy.up();
    await rt.close(5000).catch(() => undefined);
    await sender.close();
    await proxy.down();
    await env.cleanup();
  });

  it('an ask while Redis is unreachable fails fast with mailbox.unavailable (503), not a timeout', async () => {
    expect(await rt.system.ask('counter/ask', 'inc', {}, 10000)).toBe(1);
    await proxy.down();
    const t0 = performance.now();
    const err = await rt.system.ask('counter/ask', 'inc', {}, 15000).catch((e: unknown) => e);
    const took = performance.now() - t0;
    expect(err).toMatchObject({ code: 'mailbox.unavailable', retryable: true });
    expect(took).toBeLessThan(10000); // the ask's own timeout is 15 s
    await proxy.up();
    await waitFor(() => rt.redis.status === 'ready', 20000, 'reconnect');
    expect(await rt.system.ask('counter/ask', 'inc', {}, 10000)).toBe(2);
  }, 60000);

  it('cut off from Redis, the instance stops believing it owns its shards before their leases expire', async () => {
    await waitFor(() => rt.system.stats().ownedShards.length === 4, 20000, 'all shards owned');
    await new Promise((r) => setTimeout(r, ttl / 2));
    const cutAt = performance.now();
    await proxy.down();
    await waitFor(() => rt.system.stats().ownedShards.length === 0, 3 * ttl, 'all shards given up');
    const lost = events.filter((e) => e.type === 'shard.lost' && e.at >= cutAt);
    expect(lost.map((e) => e.data.shard).sort()).toEqual([0, 1, 2, 3]);
    // Every renewal before the cut was sent before cutAt, so Redis keeps each lease until at least
    // cutAt + ttl; the instance gave every shard up before that.
    for (const e of lost) expect(e.at - cutAt).toBeLessThan(ttl);
    for (const e of lost) expect(String(e.data.reason)).toMatch(/local deadline/);
  }, 60000);

  it('20 connection cuts under a steady tell load: every acknowledged tell applied exactly once', async () => {
    const counters = Array.from({ length: 20 }, (_, i) => `counter/cut${i}`);
    const acked = new Map(counters.map((c) => [c, 0]));
    let sending = true;
    let retries = 0;
    // Tells through the cut runtime itself: its sends, reads, commits, acks and replies all cross the cuts.
    const workers = counters.map(async (c) => {
      while (sending) {
        const id = newMessageId();
        for (;;) {
          try {
            // Same message id on every retry: a tell whose outcome is unknown is appended once.
            await rt.system.tell(c, 'inc', { by: 1 }, { id });
            acked.set(c, acked.get(c)! + 1);
            break;
          } catch (err) {
            if ((err as { code?: string }).code !== 'mailbox.unavailable') throw err;
            retries++;
          }
        }
        await new Promise((r) => setTimeout(r, 15));
      }
    });
    for (let cut = 0; cut < 20; cut++) {
      await new Promise((r) => setTimeout(r, 250 + Math.floor(Math.random() * 150)));
      proxy.cut();
    }
    await new Promise((r) => setTimeout(r, 500));
    sending = false;
    await Promise.all(workers);
    const depths = () => Promise.all(counters.map((c) => sender.system.depth(c)));
    await waitFor(async () => (await depths()).every((d) => d === 0), 60000, 'mailboxes drained');
    const states = await Promise.all(counters.map((c) => sender.system.ask<CounterState>(c, 'get', {}, 15000)));
    let lost = 0;
    let duplicated = 0;
    counters.forEach((c, i) => {
      const diff = states[i].count - acked.get(c)!;
      if (diff < 0) lost -= diff;
      else duplicated += diff;
    });
    const total = [...acked.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(`20 cuts: acknowledged ${total}, lost ${lost}, duplicated ${duplicated}, send retries ${retries}\n`);
    expect(total).toBeGreaterThan(100); // the load really ran across the cuts
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
  }, 110000);
});
