import type { MemberStatus } from './placement/member-status';
import type { Envelope } from './envelope';
import type { Effect } from './behavior';

/** One entry read from a shard's mailbox stream. `envelope` is absent when the entry is malformed. */
export interface MailboxEntry {
  streamId: string;
  shard: number;
  /** Address of the target actor as written by the sender (may be empty for a foreign entry). */
  actor: string;
  envelope?: Envelope;
  malformed?: string;
}

export interface DeadLetter {
  streamId: string;
  actor: string;
  type: string;
  reason: string;
  code: string;
  attempts: number;
  envelope: string;
  at: number;
}

export interface AckItem {
  streamId: string;
  actor: string;
  deadLetter?: DeadLetter;
}

/** Durable, bounded, per-shard FIFO mailboxes. Consumer-side calls are fenced by the shard epoch. */
export interface MailboxTransport {
  /** Appends to the target's mailbox. Returns false when `dedupe` and the id was already delivered. */
  send(env: Envelope, shard: number, opts?: { dedupe?: boolean }): Promise<boolean>;
  depth(actor: string, shard: number): Promise<number>;
  /** Prepares the shard for a new holder: creates the group, moves every pending entry to `consumer`. */
  takeOver(shard: number, consumer: string, epoch: number): Promise<{ lastDeliveredId: string }>;
  /** Entries pending for `consumer` with id > afterId (redeliveries after a takeover). */
  readPending(shard: number, consumer: string, epoch: number, afterId: string, count: number): Promise<MailboxEntry[]>;
  /**
   * New entries of one shard; fenced. Entries pending for `consumer` after `afterId` (a read whose
   * reply was lost in a dropped connection) come first, so they are never left to a later owner.
   */
  readNew(shard: number, consumer: string, epoch: number, count: number, afterId?: string): Promise<MailboxEntry[]>;
  /** Blocks until one of the shards has an entry after the given id, or the timeout. Returns those shards. */
  waitForEntries(after: Map<number, string>, blockMs: number): Promise<number[]>;
  /** Acknowledges (and removes) entries; writes dead letters in the same atomic step. Fenced. */
  ack(shard: number, epoch: number, items: AckItem[]): Promise<void>;
  listDeadLetters(shard: number, count: number): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

export interface Lease {
  shard: number;
  owner: string;
  epoch: number;
}

export interface LeaseManager {
  /** Grants the lease when free (new epoch) or returns undefined when another owner holds it. */
  acquire(shard: number, owner: string, ttlMs: number): Promise<Lease | undefined>;
  renew(lease: Lease, ttlMs: number): Promise<boolean>;
  release(lease: Lease): Promise<boolean>;
  holder(shard: number): Promise<Lease | undefined>;
  /** Makes the next grant's epoch greater than `atLeast` (after the counter was lost). */
  raiseEpoch(shard: number, atLeast: number): Promise<void>;
}

export interface Membership {
  heartbeat(member: string, ttlMs: number, info?: Record<string, unknown>): Promise<void>;
  liveMembers(): Promise<string[]>;
  leave(member: string): Promise<void>;
  /** Live members with what each published and its draining flag (federation placement), when supported. */
  view?(): Promise<MemberStatus[]>;
}

export interface StoredState {
  id: string;
  kind: string;
  shard: number;
  epoch: number;
  version: number;
  lastSeq: string;
  state: unknown;
  outbox: Effect[];
}

export type StateWrite = StoredState;

/** Actor state with fencing: a write whose epoch is not the shard's current fence is refused. */
export interface StateStore {
  /** Raises the shard's fence to `epoch` (and logs the grant); throws StaleEpochError when a newer one exists. */
  fence(shard: number, epoch: number, owner: string): Promise<void>;
  load(ids: readonly string[]): Promise<Map<string, StoredState>>;
  /** Writes all; returns the ids refused because their epoch is stale. */
  commit(writes: readonly StateWrite[]): Promise<Set<string>>;
}

export interface ReminderService {
  schedule(actor: string, name: string, delayMs: number, payload: unknown): Promise<void>;
  cancel(actor: string, name: string): Promise<void>;
}

export interface Reply {
  request: string;
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string; retryable: boolean; details?: Record<string, unknown> };
}

export interface ReplyBus {
  /** `onReconnect`: the subscription was re-established; replies published meanwhile may be missed (see `fetch`). */
  subscribe(instance: string, onReply: (r: Reply) => void, onReconnect?: () => void): Promise<void>;
  publish(instance: string, reply: Reply): Promise<void>;
  /** Replies already published for these requests of `instance` (kept briefly), if the bus keeps them. */
  fetch?(instance: string, requests: string[]): Promise<Reply[]>;
  close(): Promise<void>;
}
