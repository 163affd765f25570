import type { ActorId } from './actor-id';
import type { Envelope, Message } from './envelope';
import type { SupervisorStrategy } from './supervision/strategy';

/** What a handler may do besides returning the new state. Effects run only after the state commits. */
export interface ActorContext {
  readonly self: ActorId;
  readonly selfAddress: string;
  /** Fencing epoch of the shard lease this activation runs under. */
  readonly epoch: number;
  readonly envelope: Envelope;
  /** Sent after the turn's state is committed, with a deterministic id (a resend is deduplicated). */
  tell(to: ActorId | string, type: string, payload: unknown): void;
  /** Answer to an ask; ignored for a tell. */
  reply(value: unknown): void;
  /** Durable: survives restarts and failover (BullMQ delayed job). Rescheduling the same name replaces it. */
  scheduleReminder(name: string, delayMs: number, payload?: unknown): void;
  cancelReminder(name: string): void;
  /** Dies with the activation: sends `type` to self after `delayMs` unless the actor passivates first. */
  startTimer(name: string, delayMs: number, type: string, payload?: unknown): void;
  /**
   * A custom effect (an event append, git work, a job): committed with the state (outbox) and run
   * after commit by the executor registered for `type`, with a deterministic id
   * (`<actor>@<streamId>#<n>`) that is returned here. An effect may run again (the activation died
   * before it was marked done): executors must be idempotent by id.
   */
  effect(type: string, payload: unknown): string;
  /** The turn's time: use it instead of `Date.now()` (a retried turn sees the runtime's clock). */
  now(): number;
}

/** One custom effect as its executor receives it. */
export interface CustomEffect {
  /** Deterministic: the same turn replayed gives the same id. Executors deduplicate by it. */
  readonly id: string;
  readonly type: string;
  readonly payload: unknown;
  /** The address of the actor whose turn produced the effect. */
  readonly from: string;
  /**
   * Tells an actor from the effect's actor (`from`), e.g. the result of the work back to it (a round
   * trip: effect → message). The envelope id is derived from the effect's id (`<effect id>/<n>`, the
   * n-th tell of this run), so a re-run effect sends nothing twice (deduplicated like an outbox tell).
   */
  tell(to: string, type: string, payload: unknown): Promise<void>;
}

/** Runs one kind of custom effect after commit; must be idempotent by `effect.id`. */
export type EffectExecutor = (effect: CustomEffect) => Promise<void>;

/** One kind of actor: its state type, initial state and turn function. Registered once per runtime. */
export interface ActorDefinition<S = any> {
  readonly kind: string;
  initialState(id: ActorId): S;
  /** One turn: returns the next state. Throwing hands the failure to the supervisor strategy. */
  receive(state: S, message: Message, ctx: ActorContext): S | Promise<S>;
  /** Per-kind supervision; the runtime's default restarts with backoff. */
  supervisor?: SupervisorStrategy;
  /** Attempts of one message before it goes to the dead-letter stream (poison message). Default 3. */
  maxAttempts?: number;
  /** Passivate after this much idle time (default: runtime config). */
  idleTimeoutMs?: number;
  /** Executors of this kind's custom effects (`ctx.effect(type, …)`), by effect type. */
  effects?: Readonly<Record<string, EffectExecutor>>;
}

export type Effect =
  | { kind: 'tell'; to: string; type: string; payload: unknown; id: string }
  | { kind: 'reminder.schedule'; name: string; dueAt: number; payload: unknown }
  | { kind: 'reminder.cancel'; name: string }
  | { kind: 'effect'; type: string; payload: unknown; id: string };
