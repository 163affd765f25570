import { formatActorId, parseActorId, type ActorId } from '../actor-id';
import type { ActorContext, Effect } from '../behavior';
import type { Envelope } from '../envelope';

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
  ) {}

  tell(to: ActorId | string, type: string, payload: unknown): void {
    const address = typeof to === 'string' ? formatActorId(parseActorId(to)) : formatActorId(to);
    // Deterministic id: a replayed turn (after a crash between commit and send) produces the same ids.
    const id = `${this.selfAddress}@${this.streamId}#${this.effects.length}`;
    this.effects.push({ kind: 'tell', to: address, type, payload, id });
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
