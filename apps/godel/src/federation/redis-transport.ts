import { ClientRedis, ServerRedis } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { createRedisClient, isCluster, isClusterUrl, RUNTIME_CLIENT_OPTIONS, withErrorListener, type RedisClient } from '@godel/runtime-redis';

/** ioredis connection options from a redis:// URL (the transport takes host/port, not a URL). */
export function redisTransportOptions(url: string): Record<string, unknown> {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    retryAttempts: 1_000_000,
    retryDelay: 500,
  };
}

/**
 * A cluster connection for the transport: an ioredis `Cluster` built by the project's
 * `createRedisClient` (natMap, cluster options). Classic pub/sub is cluster-wide: PUBLISH on any
 * node reaches subscribers on every node, and ioredis moves the subscriber connection (with its
 * channels) to another node when its node goes away. Per node: no blind resend of a request
 * (RUNTIME_CLIENT_OPTIONS) — a request cut mid-flight fails and the caller retries. Nest adds its
 * 'error'/'reconnecting'/'ready'/'end' listeners after this; the Cluster emits all four.
 */
function clusterTransportClient(url: string): Redis {
  const c = withErrorListener(createRedisClient(url, { ...RUNTIME_CLIENT_OPTIONS, lazyConnect: true }));
  // Nest publishes requests without handling the promise: a publish rejected by a cut would be an
  // unhandled rejection. The request is then lost: the caller's timeout answers it (typed).
  const publish = c.publish.bind(c) as (...args: unknown[]) => Promise<number>;
  Object.assign(c, {
    publish: (...args: unknown[]) => {
      const p = publish(...args);
      p.catch(() => undefined);
      return p;
    },
  });
  return c as unknown as Redis;
}

/** ServerRedis that connects to a Redis Cluster (every node) for a `redis+cluster://` URL. */
export class GodelServerRedis extends ServerRedis {
  constructor(private readonly url: string) {
    super((isClusterUrl(url) ? {} : redisTransportOptions(url)) as ConstructorParameters<typeof ServerRedis>[0]);
  }

  override createRedisClient(): Promise<Redis> {
    return isClusterUrl(this.url) ? Promise.resolve(clusterTransportClient(this.url)) : super.createRedisClient();
  }
}

/** ClientRedis that connects to a Redis Cluster (every node) for a `redis+cluster://` URL. */
export class GodelClientRedis extends ClientRedis {
  constructor(private readonly url: string) {
    super((isClusterUrl(url) ? {} : redisTransportOptions(url)) as ConstructorParameters<typeof ClientRedis>[0]);
  }

  override createClient(): Promise<Redis> {
    return isClusterUrl(this.url) ? Promise.resolve(clusterTransportClient(this.url)) : super.createClient();
  }
}

/**
 * The connection that asks Redis who listens (PUBSUB NUMSUB): one try per command, bounded by
 * `commandTimeout` (a silent node must not hold a caller). On a cluster, node connections keep
 * ioredis' own policy (no per-node reconnect: a gone node's connection ends, the slot map moves on).
 */
export function createProbe(url: string): RedisClient {
  const common = { maxRetriesPerRequest: 1, commandTimeout: 2000 };
  return withErrorListener(
    isClusterUrl(url)
      ? createRedisClient(url, common)
      : createRedisClient(url, { ...common, enableOfflineQueue: false, retryStrategy: (n: number) => Math.min(2000, n * 100) }),
  );
}

/**
 * Subscribers of `channel` (PUBSUB NUMSUB). On a cluster NUMSUB counts only the subscribers
 * connected to the node asked (PUBLISH is cluster-wide, subscriptions are not), so every node is
 * asked and the counts summed. Undefined when Redis cannot tell (no node, or none found and a node
 * did not answer: the subscriber may be on it).
 */
export async function subscribers(probe: RedisClient, channel: string): Promise<number | undefined> {
  const numsub = async (r: Redis) => Number(((await r.pubsub('NUMSUB', channel)) as unknown[])[1]);
  if (!isCluster(probe)) return numsub(probe);
  const nodes = probe.nodes('all');
  const counts = await Promise.allSettled(nodes.map(numsub));
  const total = counts.reduce((n, c) => n + (c.status === 'fulfilled' ? c.value : 0), 0);
  if (total > 0) return total;
  return nodes.length > 0 && counts.every((c) => c.status === 'fulfilled') ? 0 : undefined;
}
