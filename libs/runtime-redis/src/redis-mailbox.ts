import {
  MailboxFullError,
  StaleEpochError,
  decodeEnvelope,
  encodeEnvelope,
  type AckItem,
  type DeadLetter,
  type Envelope,
  type MailboxEntry,
  type MailboxTransport,
} from '@godel/actors';
import type { Cluster } from 'ioredis';
import { waitForReplicas } from './cluster-nodes';
import { ClusterWakeup } from './cluster-wakeup';
import { RUNTIME_CLIENT_OPTIONS, duplicateClient, retryAcrossReconnects } from './connections';
import { GROUP, type RedisKeys } from './keys';
import { isCluster, type RedisClient } from './redis-client';
import type { ScriptedRedis } from './scripts';
import { TickPipeline } from './tick-pipeline';

export interface RedisMailboxOptions {
  /** Messages waiting per actor before send() fails with mailbox.full. */
  limit: number;
  /** How long a delivered envelope id is remembered for `send(..., { dedupe: true })` (outbox effects, reminders). */
  dedupeTtlMs?: number;
  /** How long every other send's id is remembered: a resend or a caller's retry within it is a no-op (default 10 min). */
  resendWindowMs?: number;
  /** How long send() waits for the connection to come back before `mailbox.unavailable` (default 2 s). */
  sendDeadlineMs?: number;
  deadLetterMaxLen?: number;
  /** Redis Cluster: pause between two wake-up polls of a node (default 20 ms; see ClusterWakeup). */
  clusterPollMs?: number;
  /** Redis Cluster: replicas that must hold a send before it is acknowledged (`WAIT`; default 1, 0 = off). */
  replicaAcks?: number;
  /** Sends, reads and acks of one event-loop turn leave in one write (TickPipeline; default off here, on in the server). */
  pipeline?: boolean;
}

type RawEntry = [string, string[] | null | false];

/**
 * Mailboxes in Redis Streams: one stream per shard, one consumer group, one consumer (the lease
 * holder). Per-actor FIFO follows from stream order and one reader per shard. Depth per actor is a
 * hash counter kept by the same scripts that add and acknowledge, so it is exact.
 */
export class RedisMailbox implements MailboxTransport {
  private blocking?: RedisClient;
  private readonly wakeup?: ClusterWakeup;
  private readonly tick?: TickPipeline;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: RedisKeys,
    private readonly opts: RedisMailboxOptions,
  ) {
    if (isCluster(redis)) this.wakeup = new ClusterWakeup(redis as ScriptedRedis & Cluster, keys, { pollMs: opts.clusterPollMs });
    if (opts.pipeline) this.tick = new TickPipeline(redis);
  }

  /** Runs one script: on the turn's pipeline when there is one, else as its own command. */
  private script(name: 'sendMessage' | 'readMailbox' | 'ackMessages', args: Array<string | number>): Promise<unknown> {
    if (this.tick) return this.tick.run(() => this.redis[name](...args));
    return this.redis[name](...args);
  }

  async send(env: Envelope, shard: number, o: { dedupe?: boolean } = {}): Promise<boolean> {
    return (await this.append(env, shard, o)).fresh;
  }

  /**
   * Appends once, whatever the connection does: the send script remembers the envelope id with the
   * stream id it got, so running it again (after a cut lost its reply) returns the original id.
   */
  async append(env: Envelope, shard: number, o: { dedupe?: boolean } = {}): Promise<{ streamId: string; fresh: boolean }> {
    const ttl = o.dedupe ? (this.opts.dedupeTtlMs ?? 24 * 3600 * 1000) : (this.opts.resendWindowMs ?? 10 * 60 * 1000);
    const payload = encodeEnvelope(env);
    const r = await retryAcrossReconnects(this.redis, `send to ${env.to}`, this.opts.sendDeadlineMs ?? 2000, () =>
      this.script('sendMessage', [this.keys.mailbox(shard), this.keys.depth(shard), this.keys.seen(shard, env.id), env.to, this.opts.limit, payload, ttl]),
    );
    if (r === -1 || r === '-1') throw new MailboxFullError(env.to, this.opts.limit);
    // On a cluster the send is acknowledged only once a replica holds it (it must survive a failover).
    const replicas = this.wakeup ? (this.opts.replicaAcks ?? 1) : 0;
    if (replicas > 0) await waitForReplicas(this.redis as ScriptedRedis & Cluster, this.keys.mailbox(shard), replicas, this.opts.sendDeadlineMs ?? 2000, `send to ${env.to}`);
    const [streamId, fresh] = r as [string, number | string];
    return { streamId: String(streamId), fresh: Number(fresh) === 1 };
  }

  async depth(actor: string, shard: number): Promise<number> {
    return Number((await this.redis.hget(this.keys.depth(shard), actor)) ?? 0);
  }

  async takeOver(shard: number, consumer: string, epoch: number): Promise<{ lastDeliveredId: string }> {
    const r = await this.redis.takeOverMailbox(this.keys.lease(shard), this.keys.mailbox(shard), GROUP, consumer, epoch);
    if (r === -1) throw new StaleEpochError(shard, epoch, 'mailbox takeover');
    const [, last] = r as [number, string];
    return { lastDeliveredId: String(last) };
  }

  readPending(shard: number, consumer: string, epoch: number, afterId: string, count: number): Promise<MailboxEntry[]> {
    return this.read(shard, consumer, epoch, count, afterId, 'pending');
  }

  readNew(shard: number, consumer: string, epoch: number, count: number, afterId = '0-0'): Promise<MailboxEntry[]> {
    return this.read(shard, consumer, epoch, count, afterId, 'new');
  }

  private async read(shard: number, consumer: string, epoch: number, count: number, after: string, mode: 'new' | 'pending'): Promise<MailboxEntry[]> {
    const r = await this.script('readMailbox', [this.keys.lease(shard), this.keys.mailbox(shard), GROUP, consumer, epoch, count, after, mode]);
    if (r === -1) throw new StaleEpochError(shard, epoch, 'mailbox read');
    return (r as RawEntry[]).map(([streamId, fields]) => toEntry(shard, streamId, fields));
  }

  async waitForEntries(after: Map<number, string>, blockMs: number): Promise<number[]> {
    if (after.size === 0) return [];
    // A cluster cannot XREAD across slots: one poll per node instead (ClusterWakeup).
    if (this.wakeup) return this.wakeup.wait(after, blockMs);
    // Reads only (no consumer group): a resent or failed XREAD changes nothing.
    this.blocking ??= duplicateClient(this.redis, RUNTIME_CLIENT_OPTIONS);
    const keys = [...after.keys()].map((s) => this.keys.mailbox(s));
    const ids = [...after.values()];
    const r = (await this.blocking.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', ...keys, ...ids)) as unknown;
    if (!r) return [];
    const names: string[] = Array.isArray(r) ? (r as Array<[string, unknown]>).map((x) => String(x[0])) : Object.keys(r as object);
    return names.map((k) => this.keys.shardFromKey(k));
  }

  async ack(shard: number, epoch: number, items: AckItem[]): Promise<void> {
    if (items.length === 0) return;
    const args: string[] = [];
    for (const i of items) args.push(i.streamId, i.actor, i.deadLetter ? JSON.stringify(i.deadLetter) : '');
    // Idempotent: XACK answers 0 for an entry already acknowledged, and only a fresh XACK counts,
    // decrements the depth or writes the dead letter.
    const keys = [this.keys.lease(shard), this.keys.mailbox(shard), this.keys.depth(shard), this.keys.deadLetters(shard)];
    const r = await retryAcrossReconnects(this.redis, `ack on shard ${shard}`, this.opts.sendDeadlineMs ?? 2000, () =>
      this.script('ackMessages', [...keys, GROUP, epoch, this.opts.deadLetterMaxLen ?? 10000, ...args]),
    );
    if (r === -1) throw new StaleEpochError(shard, epoch, 'ack');
  }

  async listDeadLetters(shard: number, count: number): Promise<DeadLetter[]> {
    const rows = (await this.redis.xrevrange(this.keys.deadLetters(shard), '+', '-', 'COUNT', count)) as Array<[string, string[]]>;
    const out: DeadLetter[] = [];
    for (const [, fields] of rows) {
      const d = fields[fields.indexOf('d') + 1];
      try {
        out.push(JSON.parse(d) as DeadLetter);
      } catch {
        // skip an entry that is not ours
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.blocking?.disconnect();
    this.blocking = undefined;
  }
}

function toEntry(shard: number, streamId: string, fields: string[] | null | false): MailboxEntry {
  if (!fields) return { streamId, shard, actor: '', malformed: 'entry was deleted' };
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[String(fields[i])] = String(fields[i + 1]);
  const actor = f.a ?? '';
  try {
    const envelope = decodeEnvelope(f.e);
    if (actor && envelope.to !== actor) return { streamId, shard, actor, malformed: `envelope addressed to ${envelope.to}, entry to ${actor}` };
    return { streamId, shard, actor: envelope.to, envelope };
  } catch (err) {
    return { streamId, shard, actor, malformed: (err as Error).message };
  }
}
