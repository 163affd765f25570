import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** One Redis or a Redis Cluster: every adapter of this lib takes either. */
export type RedisClient = Redis | Cluster;

/** `redis+cluster://[user:password@]host:port,host:port[,...]` — the seed nodes of a Redis Cluster. */
export const CLUSTER_URL_SCHEME = 'redis+cluster:';

export interface ClusterTarget {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  tls: boolean;
  /** `?replicaAcks=N`: replicas that must hold a send before it is acknowledged (default 1; 0 for a cluster without replicas). */
  replicaAcks: number;
  /**
   * `nat=host:port=host:port,…`: the address a node announces → the address to reach it at (ioredis
   * `natMap`; e.g. a TCP proxy per node, as the chaos harness gives each server instance).
   */
  natMap?: Record<string, { host: string; port: number }>;
}

function hostPort(hp: string): { host: string; port: number } {
  const at = hp.lastIndexOf(':');
  const host = hp.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(hp.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`Redis Cluster URL: "${hp}" is not host:port`);
  return { host, port };
}

/** The query of a cluster URL: `replicaAcks=N` and `nat=from=to,…` joined by `&`, in any order. */
function clusterQuery(query: string | undefined): Pick<ClusterTarget, 'replicaAcks' | 'natMap'> {
  let replicaAcks = 1;
  let natMap: ClusterTarget['natMap'];
  for (const part of (query ?? '').split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    const [key, value] = [part.slice(0, eq), part.slice(eq + 1)];
    if (key === 'replicaAcks' && /^\d$/.test(value)) replicaAcks = Number(value);
    else if (key === 'nat' && value) {
      natMap = {};
      for (const pair of value.split(',')) {
        const [from, to, extra] = pair.split('=');
        if (!from || !to || extra !== undefined) throw new Error(`Redis Cluster URL: nat entry "${pair}" is not host:port=host:port`);
        hostPort(from);
        natMap[from] = hostPort(to);
      }
    } else throw new Error(`Redis Cluster URL: unknown query "${part}" (replicaAcks=N, nat=host:port=host:port,…)`);
  }
  return { replicaAcks, natMap };
}

/** True for a `redis+cluster://` (or `rediss+cluster://`, TLS) URL. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//i.test(url);
}

/** Parses a cluster URL; throws a clear error for a malformed one. */
export function parseClusterUrl(url: string): ClusterTarget {
  const m = /^(rediss?)\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/?(?:\?([^#]*))?$/i.exec(url);
  if (!m) throw new Error(`not a Redis Cluster URL (redis+cluster://host:port,host:port): ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  return {
    nodes: m[4].split(',').map(hostPort),
    username: m[2] ? decodeURIComponent(m[2]) : undefined,
    password: m[3] ? decodeURIComponent(m[3]) : undefined,
    tls: m[1].toLowerCase() === 'rediss',
    ...clusterQuery(m[5]),
  };
}

/**
 * Cluster-level options (docs/adr/0004 applied to a cluster; see the README's cluster section).
 * - `retryDelayOnFailover: 0`: ioredis would otherwise send a command again, on another node, when
 *   the connection it was sent on closed ("Connection is closed.") — Redis may have run it: a blind
 *   resend. With 0 the command is rejected and the caller retries only what is idempotent.
 * - MOVED, ASK, TRYAGAIN and CLUSTERDOWN are still followed/retried: Redis answered them without
 *   running the command, so trying it elsewhere (or later) cannot run it twice.
 * - `maxRedirections` bounds those retries (16 × `retryDelayOnClusterDown` 100 ms ≈ 1.6 s of CLUSTERDOWN).
 * - `slotsRefreshInterval`: the slot map is also refreshed on every MOVED.
 */
export const CLUSTER_CLIENT_OPTIONS: ClusterOptions = {
  retryDelayOnFailover: 0,
  retryDelayOnClusterDown: 100,
  retryDelayOnTryAgain: 100,
  retryDelayOnMoved: 0,
  maxRedirections: 16,
  enableOfflineQueue: true,
  enableReadyCheck: true,
  scaleReads: 'master',
  slotsRefreshTimeout: 2000,
  slotsRefreshInterval: 2000,
  enableAutoPipelining: false,
};

/**
 * A client for `url`: a `Cluster` for `redis+cluster://…`, else a `Redis`. `options` are the
 * per-connection options (RUNTIME_CLIENT_OPTIONS, BULLMQ_CLIENT_OPTIONS, …); on a cluster they apply
 * to every node connection.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): RedisClient {
  if (!isClusterUrl(url)) return new Redis(url, options);
  const t = parseClusterUrl(url);
  const { lazyConnect, ...nodeOptions } = options;
  return new Cluster(t.nodes, {
    ...CLUSTER_CLIENT_OPTIONS,
    lazyConnect,
    ...(t.natMap ? { natMap: t.natMap } : {}),
    redisOptions: { ...nodeOptions, username: t.username, password: t.password, ...(t.tls ? { tls: {} } : {}) },
  });
}

export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** A new connection like `client` (a new cluster client for a cluster), with `options` per node. */
export function duplicateRaw(client: RedisClient, options: RedisOptions = {}): RedisClient {
  if (isCluster(client)) {
    const base = client.options;
    return client.duplicate(undefined, { ...base, redisOptions: { ...base.redisOptions, ...options } });
  }
  return client.duplicate(options);
}
