import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@godel/config';
import { openDatabase } from '@godel/persistence';
import { createRedisClient, withErrorListener, type RedisClient } from '@godel/runtime-redis';
import type { Cluster } from 'ioredis';
import { Redis } from 'ioredis';
import type { MakeEnv, RuntimeTestEnv } from '../conformance/env';
import { waitFor } from './workload';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '../../../scripts/redis-cluster.sh');
export const CLUSTER_PORTS = [7000, 7001, 7002, 7003, 7004, 7005];
export const CLUSTER_URL = `redis+cluster://${CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`).join(',')}`;
export const CLUSTER_DIR = '/tmp/godel-redis-cluster-7000';

/** Runs scripts/redis-cluster.sh (start is idempotent: nothing happens when the cluster is up). */
export async function clusterScript(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [SCRIPT, ...args], { timeout: 120_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  return stdout;
}

/** The local 3-master + 3-replica cluster, started when it is not up. */
export async function ensureRedisCluster(): Promise<string> {
  await clusterScript('start');
  return CLUSTER_URL;
}

/** A connected cluster client (tests' own use: resends allowed, it only reads and cleans up). */
export async function clusterClient(): Promise<Cluster> {
  const c = withErrorListener(createRedisClient(CLUSTER_URL, { maxRetriesPerRequest: null })) as Cluster;
  if (c.status !== 'ready') await new Promise<void>((resolve, reject) => c.once('ready', resolve).once('end', () => reject(new Error('cluster client ended'))));
  return c;
}

/** Deletes every key of a test (its prefix and its BullMQ hash tag) on every master. */
async function removeKeys(c: Cluster, prefix: string): Promise<void> {
  for (const node of c.nodes('master')) {
    for (const pattern of [`${prefix}:*`, `{${prefix}:bull}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const k of keys) await c.unlink(k);
      } while (cursor !== '0');
    }
  }
}

/** Like createTestEnv, on the Redis Cluster: a random key prefix and PostgreSQL schema per test file. */
export const createClusterEnv: MakeEnv = async (runtime = {}) => {
  await ensureRedisCluster();
  const tag = randomBytes(4).toString('hex');
  const base = loadConfig();
  const databaseUrl = base.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test';
  const keyPrefix = `t${tag}`;
  const schema = `t_${tag}`;
  const config = { ...base, redisUrl: CLUSTER_URL, databaseUrl, keyPrefix, dbSchema: schema, runtime: { ...base.runtime, ...runtime } };
  const dataSource = await openDatabase({ url: databaseUrl, schema, poolSize: 10 });
  const redis: RedisClient = await clusterClient();
  const env: RuntimeTestEnv = {
    redisUrl: CLUSTER_URL,
    databaseUrl,
    keyPrefix,
    schema,
    config,
    dataSource,
    redis,
    async cleanup() {
      await removeKeys(redis as Cluster, keyPrefix);
      redis.disconnect();
      if (dataSource.isInitialized) {
        await dataSource.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await dataSource.destroy();
      }
    },
  };
  return env;
};

/** Waits until the whole cluster is ok again with six nodes and every replica linked to its master. */
export async function clusterHealthy(timeoutMs: number): Promise<void> {
  await waitFor(async () => {
    const probes = CLUSTER_PORTS.map((port) => new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }).on('error', () => undefined));
    try {
      const infos = await Promise.all(probes.map(async (p) => ({ cluster: String(await p.cluster('INFO')), repl: await p.info('replication') })));
      const ok = infos.every((i) => /cluster_state:ok/.test(i.cluster) && /cluster_known_nodes:6/.test(i.cluster));
      return ok && infos.filter((i) => /master_link_status:up/.test(i.repl)).length === 3;
    } finally {
      for (const p of probes) p.disconnect();
    }
  }, timeoutMs, 'the cluster healthy (6 nodes, 3 replicas linked)');
}
