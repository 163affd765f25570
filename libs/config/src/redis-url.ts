/**
 * Which Redis the server uses: `REDIS_URL` (one Redis: `redis://…` / `rediss://…`, or a cluster URL
 * `redis+cluster://[user:password@]host:port,host:port[?replicaAcks=N&nat=host:port=host:port,…]`) or `REDIS_CLUSTER_NODES`
 * (`host:port,host:port,…`, the seed nodes of a Redis Cluster; becomes `redis+cluster://…`).
 * Throws `fail(message)` (the caller's ConfigError) for a malformed or ambiguous setting.
 */
export function redisUrlFromEnv(env: Record<string, string | undefined>, fail: (message: string) => Error): string | undefined {
  const r = resolve(env);
  if (r.error) throw fail(r.error);
  return r.url;
}

function resolve(env: Record<string, string | undefined>): { url?: string; error?: string } {
  const url = env.REDIS_URL || undefined;
  const nodes = env.REDIS_CLUSTER_NODES?.trim() || undefined;
  if (url && nodes) return { error: 'set REDIS_URL or REDIS_CLUSTER_NODES, not both' };
  if (url && /^rediss?\+cluster:/i.test(url)) {
    const m = /^rediss?\+cluster:\/\/(?:[^@/]*@)?([^/?#]+)\/?(?:\?(?:(?:replicaAcks=\d|nat=[^&#]+)(?:&|$))+)?$/i.exec(url);
    const bad = m ? badNodes(m[1]) : 'no host:port list';
    if (bad) return { error: `REDIS_URL: a cluster URL is redis+cluster://host:port,host:port[?replicaAcks=N][&nat=host:port=host:port,…] (${bad})` };
  }
  if (!nodes) return { url };
  const bad = badNodes(nodes);
  if (bad) return { error: `REDIS_CLUSTER_NODES must be host:port,host:port (${bad})` };
  return { url: `redis+cluster://${nodes.split(',').map((n) => n.trim()).join(',')}` };
}

function badNodes(list: string): string | undefined {
  for (const raw of list.split(',')) {
    const n = raw.trim();
    const m = /^(\[[0-9a-f:]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/i.exec(n);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return `"${n}" is not host:port`;
  }
  return undefined;
}
