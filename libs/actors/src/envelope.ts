import { formatActorId, parseActorId, type ActorId } from './actor-id';
import { MalformedEnvelopeError } from './errors/runtime-errors';

/** W3C trace context (https://www.w3.org/TR/trace-context/) carried inside an envelope by its sender. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/** What travels through a mailbox. `payload` is the message body: a discriminated union by `type`. */
export interface Envelope {
  /** Unique id; deterministic for messages sent from a turn's outbox, so a resend is deduplicated. */
  id: string;
  to: string;
  type: string;
  payload: unknown;
  from?: string;
  /** Set by ask: where the reply goes (instance id) and the request it answers. */
  replyTo?: { instance: string; request: string };
  correlationId?: string;
  /** The sender's trace context (set by the runtime when a TurnObserver traces); absent otherwise. */
  trace?: TraceCarrier;
  sentAt: number;
}

export interface Message<T = unknown> {
  type: string;
  payload: T;
  envelope: Envelope;
}

export function encodeEnvelope(env: Envelope): string {
  return JSON.stringify(env);
}

/** Parses and validates an envelope read from a stream; anything else is a MalformedEnvelopeError. */
export function decodeEnvelope(raw: string | undefined | null): Envelope {
  if (typeof raw !== 'string') throw new MalformedEnvelopeError('no envelope field');
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new MalformedEnvelopeError(`not JSON: ${raw.slice(0, 80)}`);
  }
  if (typeof v !== 'object' || v === null) throw new MalformedEnvelopeError('not an object');
  const e = v as Record<string, unknown>;
  if (typeof e.id !== 'string' || e.id.length === 0) throw new MalformedEnvelopeError('id missing');
  if (typeof e.to !== 'string') throw new MalformedEnvelopeError('to missing');
  if (typeof e.type !== 'string' || e.type.length === 0) throw new MalformedEnvelopeError('type missing');
  if (typeof e.sentAt !== 'number') throw new MalformedEnvelopeError('sentAt missing');
  try {
    parseActorId(e.to);
  } catch (err) {
    throw new MalformedEnvelopeError((err as Error).message);
  }
  if (e.replyTo !== undefined) {
    const r = e.replyTo as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || typeof r.instance !== 'string' || typeof r.request !== 'string') {
      throw new MalformedEnvelopeError('replyTo must be {instance, request}');
    }
  }
  return v as Envelope;
}

let counter = 0;
/** Time-ordered unique id: millisecond time, process-random part and a counter. */
export function newMessageId(): string {
  counter = (counter + 1) % 0xffffff;
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}-${counter.toString(36)}`;
}

export function makeEnvelope(to: ActorId | string, type: string, payload: unknown, extra: Partial<Envelope> = {}): Envelope {
  return {
    id: extra.id ?? newMessageId(),
    to: typeof to === 'string' ? to : formatActorId(to),
    type,
    payload,
    sentAt: Date.now(),
    ...extra,
  };
}
