/**
 * Failover with real processes. Real: three compiled Godel servers (child processes), Redis,
 * PostgreSQL, SIGKILL and SIGTERM. Mocked: nothing. Needs `npm run build` (the test command does it).
 */
import type { CounterState } from '@godel/testing';
import { counterActor, GodelCluster } from '@godel/testing';
import { buildRuntime, type BuiltRuntime } from '../../../apps/godel/src';
import type { MakeEnv, RuntimeTestEnv } from './env';

const SHARDS = 8;
const memberEnv = { GODEL_SHARDS: String(SHARDS), GODEL_LEASE_TTL_MS: '1000', GODEL_IDLE_TIMEOUT_MS: '5000' };

/** The suite, run over any Redis (one server or a cluster): `makeEnv` gives the connection. */
export function failoverConformance(label: string, makeEnv: MakeEnv): void {
  describe(`failover across real Godel processes — ${label}`, () => {
    let env: RuntimeTestEnv;
    let cluster: GodelCluster;
    let sender: BuiltRuntime;

    beforeEach(async () => {
      env = await makeEnv({ shardCount: SHARDS, leaseTtlMs: 1000 });
      cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: memberEnv });
      sender = buildRuntime({ redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: env.config.runtime, definitions: [counterActor], hostShards: false });
      await sender.system.start();
    });

    afterEach(async () => {
      await cluster.stopAll();
      await sender.close();
      await env.cleanup();
    });

    async function holders(): Promise<Map<number, { owner: string; epoch: number }>> {
      const out = new Map<number, { owner: string; epoch: number }>();
      for (let s = 0; s < SHARDS; s++) {
        const h = await sender.leases.holder(s);
        if (h) out.set(s, { owner: h.owner, epoch: h.epoch });
      }
      return out;
    }

    async function busiestMember(): Promise<string> {
      const counts = new Map<string, number>();
      for (const { owner } of (await holders()).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
      const [owner] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
      return cluster.byInstance(owner)!.name;
    }

    async function drained(counters: string[]): Promise<void> {
      await waitFor(async () => (await Promise.all(counters.map((c) => sender.system.depth(c)))).every((d) => d === 0), 30000);
    }

    it('SIGKILL of the owner mid-stream, repeatedly: every acknowledged increment counted once, no overlapping activations', async () => {
      await Promise.all([cluster.start('a'), cluster.start('b'), cluster.start('c')]);
      const counters = Array.from({ length: 24 }, (_, i) => `counter/f${i}`);
      const accepted = new Map(counters.map((c) => [c, 0]));
      let sending = true;
      const stream = (async () => {
        let i = 0;
        while (sending) {
          const batch = counters.map((c) => sender.system.tell(c, 'inc', { by: 1 }).then(() => accepted.set(c, accepted.get(c)! + 1)));
          await Promise.all(batch);
          i++;
          if (i % 4 === 0) await new Promise((r) => setTimeout(r, 20));
        }
      })();

      const kills = 4;
      let spare = 0;
      for (let k = 0; k < kills; k++) {
        await new Promise((r) => setTimeout(r, 1200));
        const victim = await busiestMember();
        const before = await holders();
        const victimId = cluster.members.get(victim)!.instanceId;
        await cluster.kill(victim);
        // Every shard the victim held gets a new owner with a higher epoch.
        await waitFor(async () => {
          const now = await holders();
          return [...before.entries()]
            .filter(([, h]) => h.owner === victimId)
            .every(([s, h]) => now.has(s) && now.get(s)!.owner !== victimId && now.get(s)!.epoch > h.epoch);
        }, 15000);
        await cluster.start(`spare${spare++}`);
      }
      sending = false;
      await stream;
      await drained(counters);

      const states = await Promise.all(counters.map((c) => sender.system.ask<CounterState>(c, 'get', {}, 10000)));
      let total = 0;
      counters.forEach((c, i) => {
        expect({ counter: c, count: states[i].count }).toEqual({ counter: c, count: accepted.get(c) });
        total += accepted.get(c)!;
        // Epochs under which a counter was handled only ever increase: activations never interleaved.
        const e = states[i].epochs;
        expect([...e].sort((x, y) => x - y)).toEqual(e);
        expect(new Set(e).size).toBe(e.length);
      });
      expect(total).toBeGreaterThan(500);
      expect(states.some((s) => s.epochs.length > 1)).toBe(true); // failover really moved actors

      // The PostgreSQL lease log: per shard, epochs strictly increase in grant order.
      const log: Array<{ shard: number; epoch: string }> = await env.dataSource.query(`SELECT shard, epoch FROM shard_lease_log ORDER BY id`);
      const last = new Map<number, number>();
      for (const row of log) {
        const prev = last.get(row.shard) ?? 0;
        expect(Number(row.epoch)).toBeGreaterThan(prev);
        last.set(row.shard, Number(row.epoch));
      }
      expect(log.length).toBeGreaterThan(SHARDS);
    }, 120000);

    it('graceful shutdown hands shards over with zero redelivery and nothing lost', async () => {
      await cluster.start('a');
      await cluster.start('b');
      const counters = Array.from({ length: 16 }, (_, i) => `counter/g${i}`);
      const accepted = new Map(counters.map((c) => [c, 0]));
      let sending = true;
      const stream = (async () => {
        while (sending) {
          await Promise.all(counters.map((c) => sender.system.tell(c, 'inc', {}).then(() => accepted.set(c, accepted.get(c)! + 1))));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await new Promise((r) => setTimeout(r, 800));
      const leaving = cluster.members.get('a')!;
      const exit = await cluster.stop('a');
      expect(exit.code).toBe(0);
      await new Promise((r) => setTimeout(r, 800));
      sending = false;
      await stream;
      await drained(counters);
      const states = await Promise.all(counters.map((c) => sender.system.ask<CounterState>(c, 'get', {}, 10000)));
      counters.forEach((c, i) => expect(states[i].count).toBe(accepted.get(c)));

      const released = leaving.lines.filter((l) => l.event === 'shard.released').map((l) => Number(l.shard));
      expect(released.length).toBeGreaterThan(0);
      const b = cluster.members.get('b')!;
      const takeovers = b.lines.filter((l) => l.event === 'shard.acquired' && released.includes(Number(l.shard)));
      expect(takeovers.length).toBe(released.length);
      for (const t of takeovers) expect(t.redelivered).toBe(0);
    }, 60000);
  });

  async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 10000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('condition not met in time');
  }
}
