/**
 * The chaos harness on the local Redis Cluster (CHAOS_CLUSTER=1; scripts/redis-cluster.sh, 3 masters
 * + 3 replicas on 127.0.0.1:7000-7005). Each server instance gets one TCP proxy per node and a
 * cluster URL whose seed nodes are its proxies and whose `nat` map sends every announced node address
 * to its own proxy (ioredis `natMap`): a cut or an outage hits that instance only, not the cluster.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from 'ioredis';
import { createRedisClient, withErrorListener, type RedisClient } from '@godel/runtime-redis';

export const CHAOS_CLUSTER_PORTS = [7000, 7001, 7002, 7003, 7004, 7005];
// From bench/chaos (ts-jest) or dist/bench/chaos (the built bench).
const SCRIPT = [join(__dirname, '../../scripts/redis-cluster.sh'), join(__dirname, '../../../scripts/redis-cluster.sh')].find((p) => existsSync(p))!;

/** The Redis the harness runs on: its nodes, an instance's URL through its proxies, a client of its own. */
export interface ChaosRedis {
  nodes: Array<{ host: string; port: number }>;
  /** The REDIS_URL of an instance whose proxies (one per node, in `nodes` order) listen on `ports`. */
  url(ports: number[]): string;
  /** The harness's own client (the checker reads mailbox depths). */
  client: RedisClient;
  /** Closes the client; on the cluster, removes the run's keys first. */
  close(): Promise<void>;
}

export async function clusterRedis(keyPrefix: string): Promise<ChaosRedis> {
  // Idempotent: nothing happens when the cluster already answers cluster_state:ok.
  await promisify(execFile)('bash', [SCRIPT, 'start'], { timeout: 120_000, env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
  const nodes = CHAOS_CLUSTER_PORTS.map((port) => ({ host: '127.0.0.1', port }));
  const seeds = nodes.map((n) => `${n.host}:${n.port}`).join(',');
  const client = withErrorListener(createRedisClient(`redis+cluster://${seeds}`, { maxRetriesPerRequest: null })) as Cluster;
  if (client.status !== 'ready') await new Promise<void>((resolve, reject) => client.once('ready', resolve).once('end', () => reject(new Error('cluster client ended'))));
  return {
    nodes,
    url: (ports) => `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}?nat=${nodes.map((n, i) => `${n.host}:${n.port}=127.0.0.1:${ports[i]}`).join(',')}`,
    client,
    async close() {
      for (const node of client.nodes('master')) {
        for (const pattern of [`${keyPrefix}:*`, `{${keyPrefix}:bull}*`]) {
          let cursor = '0';
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            cursor = next;
            for (const k of keys) await client.unlink(k);
          } while (cursor !== '0');
        }
      }
      client.disconnect();
    },
  };
}
