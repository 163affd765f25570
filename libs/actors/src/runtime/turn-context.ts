import { formatActorId, parseActorId, type ActorId } from '../actor-id';
import type { ActorContext, Effect } from '../behavior';
import type { Envelope } from '../envelope';
import { UnknownEffectError } from '../errors/runtime-errors';

/** The context of one turn: collects effects, which the runtime runs only after the state commits. */
export class TurnContext implements ActorContext {
  readonly effects: Effect[] = [];
  replyValue: unknown = undefined;
  readonly timerRequests: Array<{ name: string; delayMs: number; type: string; payload: unknown }> = [];

  constructor(
    readonly self: ActorId,
    readonly selfAddress: string,
    readonly epoch: number,
    readonly envelope: Envelope,
    private readonly streamId: string,
    private readonly clockNow: () => number,
    /** Whether an executor runs effects of this type (an unknown type fails the turn, not the outbox). */
    private readonly effectKnown: (type: string) => boolean = () => false,
  ) {}

  private nextId(): string {
    // Deterministic id: a replayed turn (after a crash between commit and send) produces the same ids.
    return `${this.selfAddress}@${this.streamId}#${this.effects.length}`;
  }

  tell(to: ActorId | string, type: string, payload: unknown): void {
    const address = typeof to === 'string' ? formatActorId(parseActorId(to)) : formatActorId(to);
    this.effects.push({ kind: 'tell', to: address, type, payload, id: this.nextId() });
  }

  effect(type: string, payload: unknown): string {
    if (!this.effectKnown(type)) throw new UnknownEffectError(this.self.kind, type);
    const id = this.nextId();
    this.effects.push({ kind: 'effect', type, payload, id });
    return id;
  }

  reply(value: unknown): void {
    this.replyValue = value;
  }

  scheduleReminder(name: string, delayMs: number, payload: unknown = null): void {
    this.effects.push({ kind: 'reminder.schedule', name, dueAt: this.clockNow() + Math.max(0, delayMs), payload });
  }

  cancelReminder(name: string): void {
    this.effects.push({ kind: 'reminder.cancel', name });
  }

  startTimer(name: string, delayMs: number, type: string, payload: unknown = null): void {
    this.timerRequests.push({ name, delayMs, type, payload });
  }

  now(): number {
    return this.clockNow();
  }
}
