import { MailboxUnavailableError } from '@godel/actors';
import type { Cluster, Redis } from 'ioredis';

/** Redis Cluster hash slot of a key (CRC16/XMODEM of the key or of its first non-empty `{tag}`, mod 16384). */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/**
 * The connection `cluster` uses for the master of `key`'s slot, if its slot map has a live one. A
 * slot map naming a node with no connection (a master that died: ioredis drops its connection) or
 * a closed one is stale: a refresh is started and undefined returned (the caller answers 503, the
 * client retries with the same envelope id once the map names the promoted replica).
 */
export function masterFor(cluster: Cluster, key: string): Redis | undefined {
  const node = clusterSlots(cluster)[keySlot(key)]?.[0];
  const conn = node ? cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === node) : undefined;
  if (conn && conn.status !== 'end' && conn.status !== 'close') return conn;
  refreshSlots(cluster);
  return undefined;
}

/** Starts a refresh of the slot map (ioredis coalesces concurrent ones); failures are retried by the next caller. */
export function refreshSlots(cluster: Cluster): void {
  cluster.refreshSlotsCache(() => undefined);
}

/** Replicas connected to a master, as its last `INFO replication` said (cached 1 s; concurrent callers share one probe). */
const replicaCounts = new WeakMap<Redis, { at: number; n: Promise<number> }>();
const REPLICA_COUNT_TTL_MS = 1000;

function connectedReplicas(node: Redis): Promise<number> {
  const cached = replicaCounts.get(node);
  if (cached && performance.now() - cached.at < REPLICA_COUNT_TTL_MS) return cached.n;
  const n = bounded(node.info('replication'), 1000).then((info) => Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0));
  replicaCounts.set(node, { at: performance.now(), n });
  n.catch(() => replicaCounts.delete(node));
  return n;
}

/**
 * Redis replicates asynchronously: a write acknowledged by a master that dies before its replica
 * got it is gone after the failover. `WAIT n` on the connection that wrote `key` (WAIT counts this
 * client's own writes) returns once `n` replicas hold them. Fewer within `timeoutMs`: the write may
 * not survive a failover, so the caller's outcome is unknown (`mailbox.unavailable`, retryable; a
 * retry with the same envelope id is deduplicated while the master lives, appended again if it died).
 * A master with no replica connected at all is not waited for (no failover can lose its write):
 * `WAIT` is only sent when its last `INFO replication` (cached 1 s) counted a replica. This matters
 * right after a failover: the promoted replica has no replica of its own until the old master
 * rejoins, and a `WAIT` on it would block the shared connection for its whole timeout, send after
 * send, so every send to its slots would miss its deadline (503) until then.
 */
export async function waitForReplicas(cluster: Cluster, key: string, replicas: number, timeoutMs: number, what: string): Promise<void> {
  const node = masterFor(cluster, key);
  if (!node) throw new MailboxUnavailableError(what, 'unknown', new Error('no master known for the slot'));
  let acked: number;
  try {
    // A master that has no replica at all cannot fail over (nothing to promote): its write is as
    // durable as on a single Redis, so it is acknowledged rather than refusing every send until a replica is back.
    if ((await connectedReplicas(node)) === 0) return;
    // Bounded here too: a command on a node connection that went away without a close must not hang the send.
    acked = Number(await bounded(node.wait(replicas, timeoutMs), timeoutMs + 500));
  } catch (err) {
    refreshSlots(cluster);
    throw new MailboxUnavailableError(what, 'unknown', err);
  }
  if (acked >= replicas) return;
  // The replica count changed (a replica died, or the master did): look again on the next send.
  replicaCounts.delete(node);
  throw new MailboxUnavailableError(what, 'unknown', new Error(`${acked} of ${replicas} replicas acknowledged the write`));
}

function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** ioredis' slot table (`slots[slot] = [master, ...replicas]` as "host:port"); not in its typings. */
export function clusterSlots(cluster: object): string[][] {
  const slots: unknown = Reflect.get(cluster, 'slots');
  return Array.isArray(slots) ? (slots as string[][]) : [];
}
