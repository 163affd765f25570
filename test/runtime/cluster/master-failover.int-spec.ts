/**
 * The master holding some shards is SIGKILLed mid-stream and its replica takes over (a real Redis
 * Cluster failover: node timeout 1 s, the replica promotes itself). Real: 3 masters + 3 replicas, two
 * runtimes and a sender, PostgreSQL. Mocked: nothing. Checked: every acknowledged tell counted
 * exactly once (tells refused during the failover are retried with the same envelope id), and sends
 * to the failed-over shards are acknowledged again within a bounded time (printed). The killed node
 * is restarted at the end (it rejoins as a replica) and the cluster is left healthy.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseActorId, shardOf } from '@godel/actors';
import { counterActor } from '@godel/testing';
import { keySlot } from '@godel/runtime-redis';
import { Redis, type Cluster } from 'ioredis';
import { buildRuntime, type BuiltRuntime } from '../../../apps/godel/src';
import type { RuntimeTestEnv } from '../conformance/env';
import { CLUSTER_DIR, CLUSTER_PORTS, clusterClient, clusterHealthy, clusterScript, createClusterEnv } from './cluster-env';
import { CounterWorkload, waitFor } from './workload';

const SHARDS = 12;

/** host:port of the master serving `slot`, as a given node sees it. */
async function ownerOf(node: Redis, slot: number): Promise<string | undefined> {
  const slots = (await node.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
  const range = slots.find(([from, to]) => slot >= from && slot <= to);
  return range ? `${range[2][0]}:${range[2][1]}` : undefined;
}

  describe('Redis Cluster: a master killed mid-stream is replaced by its replica', () => {
    let env: RuntimeTestEnv;
    const runtimes: BuiltRuntime[] = [];
    let admin: Cluster;
    let killedPort: number | undefined;

    beforeAll(async () => {
      env = await createClusterEnv({ shardCount: SHARDS, leaseTtlMs: 1000, idleTimeoutMs: 5000 });
      await clusterHealthy(60_000);
      admin = await clusterClient();
    });
    afterAll(async () => {
      for (const rt of runtimes) await rt.close().catch(() => undefined);
      // Restore the cluster for everyone else: the killed node rejoins as a replica.
      if (killedPort !== undefined) {
        await clusterScript('restart-node', String(killedPort));
        await clusterHealthy(60_000);
      }
      admin?.disconnect();
      await env.cleanup();
    }, 120_000);

    it('loses and doubles nothing, and sends to the failed-over shards are acknowledged again', async () => {
      const make = (hostShards: boolean) => {
        const rt = buildRuntime({ redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: env.config.runtime, definitions: [counterActor], hostShards });
        runtimes.push(rt);
        return rt;
      };
      const [a, b, sender] = [make(true), make(true), make(false)];
      await Promise.all([a.system.start(), b.system.start(), sender.system.start()]);
      const counters = Array.from({ length: 24 }, (_, i) => `counter/mf${i}`);
      const wl = new CounterWorkload(sender, counters);
      wl.start();
      let promotedMs = -1;
      let resumedMs = -1;
      let victim = '';
      let affected: string[] = [];
      try {
      await waitFor(() => wl.total() > 300, 30_000, 'tells flowing');

      // The master of shard 0's mailbox slot, and the counters whose shards it serves.
      const probe = new Redis({ port: CLUSTER_PORTS[0], host: '127.0.0.1', maxRetriesPerRequest: 0 }).on('error', () => undefined);
      victim = (await ownerOf(probe, keySlot(a.keys.mailbox(0))))!;
      const shardOwners = await Promise.all(Array.from({ length: SHARDS }, (_, s) => ownerOf(probe, keySlot(a.keys.mailbox(s)))));
      affected = counters.filter((c) => shardOwners[shardOf(parseActorId(c), SHARDS)] === victim);
      probe.disconnect();
      expect(affected.length).toBeGreaterThan(0);

      const port = Number(victim.split(':')[1]);
      const pid = Number((await readFile(join(CLUSTER_DIR, String(port), 'redis.pid'), 'utf8')).trim());
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      killedPort = port;

      // The replica takes over: a surviving node names another master for the slot.
      const survivor = new Redis({ port: CLUSTER_PORTS.find((p) => p !== port)!, host: '127.0.0.1', maxRetriesPerRequest: 0 }).on('error', () => undefined);
      await waitFor(async () => {
        const o = await ownerOf(survivor, keySlot(a.keys.mailbox(0)));
        return o !== undefined && o !== victim && /cluster_state:ok/.test(String(await survivor.cluster('INFO')));
      }, 30_000, 'the replica promoted');
      promotedMs = Date.now() - killedAt;
      survivor.disconnect();
      // Acks resume on every failed-over shard: each affected counter has a tell acknowledged after the promotion.
      const promotedAt = killedAt + promotedMs;
      await waitFor(() => affected.every((c) => (wl.lastAckAt.get(c) ?? 0) > promotedAt), 60_000, 'acks resumed on the failed-over shards');
      resumedMs = Date.now() - killedAt;
      const before = wl.total();
      await waitFor(() => wl.total() > before + 200, 60_000, 'tells flowing after the failover');
    } finally {
      await wl.stop();
    }
    const { lost, duplicated, states } = await wl.check();
    process.stdout.write(
      `${JSON.stringify({ test: expect.getState().currentTestName, killed: victim, affected: affected.length, promoted_ms: promotedMs, acks_resumed_ms: resumedMs, acknowledged: wl.total(), refusals: Object.fromEntries(wl.refusals), lost, duplicated })}\n`,
    );
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(resumedMs).toBeGreaterThan(0);
    for (const s of states) expect([...s.epochs].sort((x, y) => x - y)).toEqual(s.epochs);
  }, 240_000);
});
