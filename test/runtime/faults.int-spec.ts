/**
 * Faults at the edges of the runtime. Real: Redis, PostgreSQL, the runtime; a loopback TCP proxy
 * in front of each service cuts or refuses connections. Mocked: nothing.
 */
import { counterActor, createTestEnv, TcpProxy, type CounterState, type TestEnv } from '@godel/testing';
import { openDatabase } from '@godel/persistence';
import type { DataSource } from 'typeorm';
import { buildRuntime, type BuiltRuntime } from '../../apps/godel/src';

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 15000, describe?: () => Promise<string> | string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met in ${timeoutMs} ms${describe ? `: ${await describe()}` : ''}`);
}

/** How many times each runtime event happened (for failure messages). */
function tally(events: string[]): string {
  const n = new Map<string, number>();
  for (const e of events) n.set(e, (n.get(e) ?? 0) + 1);
  return JSON.stringify(Object.fromEntries(n));
}

describe('runtime faults', () => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await createTestEnv({ shardCount: 4, leaseTtlMs: 3000, idleTimeoutMs: 200 });
  });
  afterEach(async () => env.cleanup());

  it('Redis connection dropped mid-stream: reconnects, nothing lost, nothing doubled', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(env.redisUrl).port || 6379));
    await proxy.up();
    const events: string[] = [];
    const rt = buildRuntime({
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      dataSource: env.dataSource,
      keyPrefix: env.keyPrefix,
      runtime: env.config.runtime,
      definitions: [counterActor],
      onEvent: (t) => events.push(t),
    });
    // the sender talks to Redis directly, so its tells are not affected by the cut
    const sender = buildRuntime({ redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: env.config.runtime, definitions: [counterActor], hostShards: false });
    await rt.system.start();
    await sender.system.start();
    try {
      const counters = Array.from({ length: 10 }, (_, i) => `counter/r${i}`);
      let accepted = 0;
      for (let round = 0; round < 30; round++) {
        await Promise.all(counters.map((c) => sender.system.tell(c, 'inc', {})));
        accepted += counters.length;
        if (round === 10 || round === 20) proxy.cut(); // mid-turn: commits, acks and reads in flight
        await new Promise((r) => setTimeout(r, 10));
      }
      const depths = () => Promise.all(counters.map((c) => sender.system.depth(c)));
      await waitFor(async () => (await depths()).every((d) => d === 0), 30000, async () => `depths ${JSON.stringify(await depths())}, runtime events ${tally(events)}, stats ${JSON.stringify(rt.system.stats())}`);
      const states = await Promise.all(counters.map((c) => sender.system.ask<CounterState>(c, 'get', {}, 10000)));
      expect(states.reduce((n, s) => n + s.count, 0)).toBe(accepted);
      for (const s of states) expect(s.count).toBe(30);
    } finally {
      await rt.close();
      await sender.close();
      await proxy.down();
    }
  }, 60000);

  it('PostgreSQL unavailable at activation: typed error, retried, nothing lost once it is back', async () => {
    const pgUrl = new URL(env.databaseUrl);
    const proxy = new TcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
    await proxy.up();
    pgUrl.host = `127.0.0.1:${proxy.port}`;
    const events: Array<{ type: string; data: Record<string, unknown> }> = [];
    const ds: DataSource = await openDatabase({ url: pgUrl.toString(), schema: env.schema, poolSize: 4 });
    const rt: BuiltRuntime = buildRuntime({
      redisUrl: env.redisUrl,
      dataSource: ds,
      keyPrefix: env.keyPrefix,
      runtime: env.config.runtime,
      definitions: [counterActor],
      onEvent: (type, data) => events.push({ type, data }),
    });
    await rt.system.start();
    try {
      await proxy.down(); // PostgreSQL gone before the actor's first activation
      for (let i = 0; i < 5; i++) await rt.system.tell('counter/pgdown', 'inc', {});
      await waitFor(() => events.some((e) => e.type === 'actor.activation_failed'), 15000);
      const failure = events.find((e) => e.type === 'actor.activation_failed')!;
      expect(String(failure.data.error)).toMatch(/storage\.unavailable|PostgreSQL unavailable|StorageUnavailable/i);
      expect(await rt.system.depth('counter/pgdown')).toBe(5); // nothing acknowledged, nothing dropped
      await proxy.up();
      await waitFor(async () => (await rt.system.depth('counter/pgdown')) === 0, 20000);
      const rows = await env.dataSource.query(`SELECT state FROM actor_state WHERE id = 'counter/pgdown'`);
      expect(rows[0].state.count).toBe(5);
    } finally {
      await rt.close();
      await proxy.down();
      if (ds.isInitialized) await ds.destroy();
    }
  }, 60000);
});
