/**
 * A slot holding a shard (its mailbox, depth, lease, epoch and dedupe markers) moves between
 * masters mid-stream: CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE of its keys in batches, SETSLOT
 * NODE — what `redis-cli --cluster reshard` does, for one chosen slot. Real: 3 masters + 3 replicas,
 * two runtimes and a sender, PostgreSQL. Mocked: nothing. Checked: every acknowledged tell counted
 * exactly once, and the runtime keeps working on the slot's new master (ASK/TRYAGAIN/MOVED followed,
 * the wake-up re-grouped).
 */
import { counterActor } from '@godel/testing';
import { keySlot } from '@godel/runtime-redis';
import type { Cluster, Redis } from 'ioredis';
import { buildRuntime, type BuiltRuntime } from '../../../apps/godel/src';
import type { RuntimeTestEnv } from '../conformance/env';
import { clusterClient, createClusterEnv } from './cluster-env';
import { CounterWorkload, waitFor } from './workload';

const SHARDS = 12;

/** Moves `slot` to another master, key batch by key batch, while the cluster serves it. */
async function migrateSlot(admin: Cluster, slot: number): Promise<{ from: string; to: string }> {
  const masters = admin.nodes('master');
  const ids = new Map<Redis, string>();
  for (const m of masters) ids.set(m, String(await m.cluster('MYID')));
  const owner = (admin as unknown as { slots: string[][] }).slots[slot][0];
  const src = masters.find((m) => `${m.options.host}:${m.options.port}` === owner)!;
  const dst = masters.find((m) => m !== src)!;
  await dst.cluster('SETSLOT', slot, 'IMPORTING', ids.get(src)!);
  await src.cluster('SETSLOT', slot, 'MIGRATING', ids.get(dst)!);
  for (;;) {
    const keys = (await src.cluster('GETKEYSINSLOT', slot, 10)) as string[];
    if (keys.length === 0) break;
    await src.migrate(dst.options.host!, dst.options.port!, '', 0, 5000, 'KEYS', ...keys);
    await new Promise((r) => setTimeout(r, 30)); // let sends hit the half-moved slot (ASK / TRYAGAIN)
  }
  for (const m of [dst, src, ...masters.filter((x) => x !== src && x !== dst)]) await m.cluster('SETSLOT', slot, 'NODE', ids.get(dst)!);
  return { from: owner, to: `${dst.options.host}:${dst.options.port}` };
}

describe('Redis Cluster: a slot holding a shard migrates between masters mid-stream', () => {
  let env: RuntimeTestEnv;
  const runtimes: BuiltRuntime[] = [];
  let admin: Cluster;

  beforeAll(async () => {
    env = await createClusterEnv({ shardCount: SHARDS, leaseTtlMs: 1000, idleTimeoutMs: 5000 });
    admin = await clusterClient();
  });
  afterAll(async () => {
    for (const rt of runtimes) await rt.close().catch(() => undefined);
    admin?.disconnect();
    await env.cleanup();
  });

  it('loses and doubles nothing, and the shard keeps flowing on its new master', async () => {
    const make = (hostShards: boolean) => {
      const rt = buildRuntime({ redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: env.config.runtime, definitions: [counterActor], hostShards });
      runtimes.push(rt);
      return rt;
    };
    const [a, b, sender] = [make(true), make(true), make(false)];
    await Promise.all([a.system.start(), b.system.start(), sender.system.start()]);
    const wl = new CounterWorkload(sender, Array.from({ length: 24 }, (_, i) => `counter/sm${i}`));
    wl.start();
    await waitFor(() => wl.total() > 300, 30_000, 'tells flowing');

    const moved: Array<{ from: string; to: string }> = [];
    try {
      for (const shard of [0, 1]) {
        const slot = keySlot(a.keys.mailbox(shard));
        moved.push(await migrateSlot(admin, slot));
        const before = wl.total();
        await waitFor(() => wl.total() > before + 200, 60_000, `tells flowing after moving shard ${shard}`);
      }
    } finally {
      await wl.stop();
    }
    for (const m of moved) expect(m.to).not.toBe(m.from);
    const { lost, duplicated, states } = await wl.check();
    process.stdout.write(`${JSON.stringify({ test: expect.getState().currentTestName, acknowledged: wl.total(), refusals: Object.fromEntries(wl.refusals), lost, duplicated })}\n`);
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
    for (const s of states) expect([...s.epochs].sort((x, y) => x - y)).toEqual(s.epochs);
    // The moved shards' keys now live on their new masters.
    const slots = (await admin.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
    for (const [i, shard] of [0, 1].entries()) {
      const slot = keySlot(a.keys.mailbox(shard));
      const range = slots.find(([from, to]) => slot >= from && slot <= to)!;
      expect(`${range[2][0]}:${range[2][1]}`).toBe(moved[i].to);
    }
  }, 180_000);
});
