import { parseClusterUrl } from '@godel/runtime-redis';
import { Cluster } from 'ioredis';
import { LocalServiceError, redisUnusable } from './local-service-error';
import { redactUrl } from './process-utils';

/**
 * `REDIS_URL=redis+cluster://[user:password@]host:port,host:port[?replicaAcks=N]` (or
 * `REDIS_CLUSTER_NODES`, which the config turns into one): parsed as the server parses it
 * (`parseClusterUrl` of @godel/runtime-redis), then the cluster must answer `CLUSTER INFO` with
 * `cluster_state:ok` within `timeoutMs`. A malformed URL or a bad password is not retryable.
 */
export async function checkRedisClusterUrl(url: string, timeoutMs: number): Promise<void> {
  const shown = redactUrl(url);
  let target: ReturnType<typeof parseClusterUrl>;
  try {
    target = parseClusterUrl(url);
  } catch (err) {
    throw new LocalServiceError('services.redis_unavailable', `${(err as Error).message}; fix REDIS_URL (redis+cluster://host:port,host:port), or unset it to let Godel start a private redis-server`, false, { url: shown }, { cause: err });
  }
  const client = new Cluster(target.nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: () => null,
    slotsRefreshTimeout: timeoutMs,
    redisOptions: { username: target.username, password: target.password, ...(target.tls ? { tls: {} } : {}), connectTimeout: timeoutMs, maxRetriesPerRequest: 0 },
  });
  client.on('error', () => undefined); // reported through the rejected promise below
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      client.connect().then(() => client.cluster('INFO')),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const state = /cluster_state:(\w+)/.exec(String(info))?.[1] ?? 'unknown';
    if (state !== 'ok') throw new Error(`cluster_state:${state}`);
  } catch (err) {
    throw redisUnusable(err, shown, 'Redis Cluster at %s is not usable', 'Start the cluster (every slot served) or fix REDIS_URL / REDIS_CLUSTER_NODES; or unset them to let Godel start a private redis-server');
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
