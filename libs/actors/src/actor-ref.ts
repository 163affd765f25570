import { formatActorId, type ActorId } from './actor-id';
import type { ActorContext } from './behavior';
import type { Envelope, Message } from './envelope';

/**
 * One message of an actor kind's protocol. A protocol is a discriminated union of these, one per
 * message type, written in the kind's `messages.ts`:
 * `type CounterMessage = { type: 'inc'; payload: { by: number } } | { type: 'get'; payload: Record<string, never> }`.
 */
export interface ProtocolMessage {
  type: string;
  payload: unknown;
}

/** The payload of message `T` of protocol `M`. */
export type PayloadOf<M extends ProtocolMessage, T extends M['type']> = Extract<M, { type: T }>['payload'];

/** What a reference sends through: the runtime's client (`ActorSystem` has both methods). */
export interface MessageSender {
  tell(to: string, type: string, payload: unknown, extra?: Partial<Envelope>): Promise<void>;
  ask<T = unknown>(to: string, type: string, payload: unknown, timeoutMs?: number, extra?: Partial<Envelope>): Promise<T>;
}

/** The sending half of a typed reference, for senders that only tell (e.g. a process host). */
export interface TellRef<M extends ProtocolMessage> {
  readonly address: string;
  tell<T extends M['type']>(type: T, payload: PayloadOf<M, T>, extra?: Partial<Envelope>): Promise<void>;
}

/** A tell-only typed reference over anything with the runtime's `tell`. */
export function tellRef<M extends ProtocolMessage>(sender: Pick<MessageSender, 'tell'>, to: ActorId | string): TellRef<M> {
  const address = typeof to === 'string' ? to : formatActorId(to);
  return { address, tell: (type, payload, extra) => sender.tell(address, type, payload, extra) };
}

/**
 * A typed reference to one actor (Akka Typed's `ActorRef[Command]`): it takes only the messages of
 * protocol `M`, each with its own payload, so a wrong type or payload does not compile. `R` is what an
 * ask answers (the kind's reply; `unknown` when replies differ per message).
 */
export interface ActorRef<M extends ProtocolMessage, R = unknown> extends TellRef<M> {
  ask<T extends M['type']>(type: T, payload: PayloadOf<M, T>, timeoutMs?: number, extra?: Partial<Envelope>): Promise<R>;
}

/** A typed reference over the runtime's client (outside a turn: services, hosts, the refinery). */
export function actorRef<M extends ProtocolMessage, R = unknown>(sender: MessageSender, to: ActorId | string): ActorRef<M, R> {
  const ref = tellRef<M>(sender, to);
  return { ...ref, ask: (type, payload, timeoutMs, extra) => sender.ask<R>(ref.address, type, payload, timeoutMs, extra) };
}

/** A typed reference inside a turn: the tell goes to the turn's outbox (sent after the state commits). */
export interface OutboxRef<M extends ProtocolMessage> {
  readonly address: string;
  tell<T extends M['type']>(type: T, payload: PayloadOf<M, T>): void;
}

/** `ctx.tell` with the protocol of the receiving kind checked at compile time. */
export function outboxRef<M extends ProtocolMessage>(ctx: Pick<ActorContext, 'tell'>, to: ActorId | string): OutboxRef<M> {
  const address = typeof to === 'string' ? to : formatActorId(to);
  return { address, tell: (type, payload) => ctx.tell(address, type, payload) };
}

/**
 * A turn's message read as the kind's protocol `M`: the one place an untyped message from the mailbox
 * becomes typed. Senders are checked by `ActorRef<M>`; what comes from outside (the HTTP generic route)
 * is limited to the kind's external message types, and its payload may still be `null` — handlers of
 * external messages read their fields defensively.
 */
export function messageOf<M extends ProtocolMessage>(msg: Message): M & { envelope: Envelope } {
  return msg as M & { envelope: Envelope };
}
