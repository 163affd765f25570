/**
 * Instance RPC on a Redis Cluster (`redis+cluster://` URL): both transport sides hold a Cluster
 * connection, not a connection to the first seed node. Real: the local 3-master + 3-replica cluster
 * (127.0.0.1:7000-7005, scripts/redis-cluster.sh), two InstanceRpc objects in this process.
 * Mocked: nothing. Checked: requests answer both ways; PUBSUB NUMSUB sees a listener whichever node
 * its subscription sits on; after the first seed node (made a master) is SIGKILLed and its replica
 * promoted, a request answers again within a bounded retry. The killed node is restarted at the end
 * (it rejoins as a replica) and the cluster is left healthy, as master-failover.int-spec.ts does.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { InstanceRpc } from '../../apps/godel/src/federation/instance-rpc';
import { CLUSTER_DIR, CLUSTER_PORTS, CLUSTER_URL, clusterHealthy, clusterScript, ensureRedisCluster } from '../runtime/cluster/cluster-env';
import { waitFor } from '../runtime/cluster/workload';

const SEED = CLUSTER_PORTS[0];

function node(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }).on('error', () => undefined);
}

async function withNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = node(port);
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** The first slot the master on `port` serves, as that node sees it. */
async function slotOf(port: number): Promise<number> {
  const slots = (await withNode(port, (r) => r.cluster('SLOTS'))) as unknown as Array<[number, number, [string, number]]>;
  const mine = slots.find(([, , master]) => master[1] === port);
  if (!mine) throw new Error(`127.0.0.1:${port} serves no slot`);
  return mine[0];
}

describe('instance RPC on a Redis Cluster', () => {
  const rpcs: InstanceRpc[] = [];
  let killedPort: number | undefined;

  beforeAll(async () => {
    await ensureRedisCluster();
    await clusterHealthy(60_000);
  }, 90_000);
  afterAll(async () => {
    for (const r of rpcs) await r.close();
    if (killedPort !== undefined) {
      await clusterScript('restart-node', String(killedPort));
      await clusterHealthy(60_000);
    }
  }, 120_000);

  it('answers across instances, and again after the first seed node master is killed and failed over', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const make = async (self: string) => {
      const rpc = new InstanceRpc({ redisUrl: CLUSTER_URL, prefix, self, timeoutMs: 2000 });
      rpcs.push(rpc);
      await rpc.start({ echo: async (d) => ({ from: self, ...d }) });
      return rpc;
    };
    const [a, b] = [await make('a'), await make('b')];

    expect(await a.call('b', 'echo', { n: 1 })).toEqual({ from: 'b', n: 1 });
    expect(await b.call('a', 'echo', { n: 2 })).toEqual({ from: 'a', n: 2 });
    // NUMSUB counts per node: the probe finds b's listener on whichever node it subscribed.
    await waitFor(() => a.listening('b', 'echo'), 10_000, "b's listener seen");
    expect(await a.listening('b', 'nope')).toBe(false);

    // The first seed node becomes a master (a graceful failover when it is a replica now)...
    if (!/^master/.test(String((await withNode(SEED, (r) => r.role()))[0]))) {
      await withNode(SEED, (r) => r.cluster('FAILOVER'));
      await waitFor(async () => String((await withNode(SEED, (r) => r.role()))[0]) === 'master', 30_000, `127.0.0.1:${SEED} promoted`);
      await clusterHealthy(60_000);
    }
    const slot = await slotOf(SEED);
    // ...and is SIGKILLed: its replica takes over its slots.
    const pid = Number((await readFile(join(CLUSTER_DIR, String(SEED), 'redis.pid'), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    killedPort = SEED;
    const survivor = CLUSTER_PORTS[1];
    await waitFor(async () => {
      const slots = (await withNode(survivor, (r) => r.cluster('SLOTS'))) as unknown as Array<[number, number, [string, number]]>;
      const owner = slots.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      return owner !== undefined && owner !== SEED && /cluster_state:ok/.test(String(await withNode(survivor, (r) => r.cluster('INFO'))));
    }, 30_000, 'the replica promoted');

    // Requests answer again within a bounded retry (subscriptions move to a live node).
    let attempts = 0;
    let answered: unknown;
    await waitFor(async () => {
      attempts++;
      answered = await a.call('b', 'echo', { n: 3 });
      return true;
    }, 60_000, 'a → b answered after the failover');
    expect(answered).toEqual({ from: 'b', n: 3 });
    await waitFor(async () => (await b.call<{ from: string }>('a', 'echo', {})).from === 'a', 60_000, 'b → a answered after the failover');
    await waitFor(() => a.listening('b', 'echo'), 30_000, "b's listener seen after the failover");
    expect(await a.listening('b', 'nope')).toBe(false);
    process.stdout.write(`${JSON.stringify({ test: expect.getState().currentTestName, killed: SEED, attempts_after_promotion: attempts })}\n`);
  }, 240_000);
});
