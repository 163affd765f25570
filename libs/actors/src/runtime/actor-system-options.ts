import type { ActorDefinition } from '../behavior';
import type { PlacementStrategy } from '../placement/placement-strategy';
import type { LeaseManager, MailboxTransport, Membership, ReminderService, ReplyBus, StateStore } from '../ports';
import type { Clock } from '../supervision/clock';
import type { TurnObserver } from '../tracing';

export interface ActorSystemOptions {
  instanceId: string;
  shardCount: number;
  leaseTtlMs: number;
  maxInFlight: number;
  idleTimeoutMs: number;
  maxMessageBytes: number;
  readBatch?: number;
  mailbox: MailboxTransport;
  leases: LeaseManager;
  membership: Membership;
  store: StateStore;
  replies: ReplyBus;
  reminders?: ReminderService;
  definitions: ActorDefinition[];
  clock?: Clock;
  onEvent?: (type: string, data: Record<string, unknown>) => void;
  /** Disable taking shards (a process that only sends). */
  hostShards?: boolean;
  /** Monotonic ms for lease deadlines (default `performance.now`); see LeaseDeadline. */
  monotonicNow?: () => number;
  /** Margin before the lease TTL at which an unrenewed shard is stopped (default max(100 ms, TTL/5)). */
  leaseSafetyMs?: number;
  /** Tracing and turn latency: trace context into outgoing envelopes, every turn through it. */
  observer?: TurnObserver;
  /** Which live member owns which shard (default: rendezvous hashing). */
  placement?: PlacementStrategy;
  /** Federation: what this member publishes with its heartbeat, and hand-over hooks (all optional). */
  federation?: FederationHooks;
}

/** How the federation layer (capacity, health, drain) takes part in the lease rounds. */
export interface FederationHooks {
  /** Capacity and load published with every heartbeat (see MemberStatus). */
  memberInfo?(): Record<string, unknown>;
  /** Whether an idle shard another member wins may go now (e.g. no agent of it is mid-turn). */
  canHandOver?(shard: number): boolean;
  /**
   * Asked again once the shard's turns in flight are done and committed, just before its lease goes:
   * false keeps the shard (a message read while it was being released started work a hand-over
   * would cut, e.g. an agent's turn). Errors count as false.
   */
  confirmHandOver?(shard: number): Promise<boolean>;
  /** A shard was handed over to `to` (graceful release): stop what lived locally under it. */
  onHandedOver?(shard: number, to: string): void | Promise<void>;
  /** This member's heartbeat lapsed for `gapMs` (paused, starved): the others took its shards. */
  onHeartbeatGap?(gapMs: number): void | Promise<void>;
}

export interface RuntimeStats {
  instanceId: string;
  ownedShards: number[];
  activations: number;
  inFlight: number;
  pendingAsks: number;
}

/** Emits a runtime event (`shard.acquired`, `message.dead_lettered`, …) tagged with the instance. */
export type EmitEvent = (type: string, data: Record<string, unknown>) => void;
