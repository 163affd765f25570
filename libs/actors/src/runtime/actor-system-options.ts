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
