import { formatActorId, parseActorId, type ActorId } from '../actor-id';
import type { ActorDefinition } from '../behavior';
import { encodeEnvelope, makeEnvelope, newMessageId, type Envelope } from '../envelope';
import { AskTimeoutError, MessageTooLargeError, RemoteError, RuntimeStoppedError, UnknownActorKindError } from '../errors/runtime-errors';
import type { MailboxTransport, Reply, ReplyBus } from '../ports';
import { shardOf } from '../shard';
import type { TurnObserver } from '../tracing';
import type { EmitEvent } from './actor-system-options';

export interface ActorClientDeps {
  instanceId: string;
  shardCount: number;
  maxMessageBytes: number;
  mailbox: MailboxTransport;
  replies: ReplyBus;
  defs: ReadonlyMap<string, ActorDefinition>;
  observer?: TurnObserver;
  event: EmitEvent;
  /** False before start and once stopping: `ask` refuses with runtime.stopped. */
  accepting: () => boolean;
}

interface PendingAsk {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Sending side of the runtime: `tell`, `ask` (a reply comes back over the reply bus to this
 * instance, or straight from a local turn), `depth`. Envelopes carry the sender's trace context.
 */
export class ActorClient {
  private readonly asks = new Map<string, PendingAsk>();

  constructor(private readonly d: ActorClientDeps) {}

  get pendingAsks(): number {
    return this.asks.size;
  }

  /** Listens for replies; back after a dropped subscription, fetches those published meanwhile. */
  subscribe(): Promise<void> {
    return this.d.replies.subscribe(this.d.instanceId, (r) => this.onReply(r), () => void this.fetchReplies([...this.asks.keys()]));
  }

  async tell(to: ActorId | string, type: string, payload: unknown, extra: Partial<Envelope> = {}): Promise<void> {
    const env = this.envelopeFor(to, type, payload, extra);
    await this.d.mailbox.send(env, shardOf(parseActorId(env.to), this.d.shardCount));
  }

  async ask<T = unknown>(to: ActorId | string, type: string, payload: unknown, timeoutMs = 5000, extra: Partial<Envelope> = {}): Promise<T> {
    if (!this.d.accepting()) throw new RuntimeStoppedError();
    const request = newMessageId();
    const env = this.envelopeFor(to, type, payload, { ...extra, replyTo: { instance: this.d.instanceId, request } });
    const result = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        // One last look: the reply may have been published while our subscription was down.
        void this.fetchReplies([request]).finally(() => {
          if (!this.asks.has(request)) return;
          this.asks.delete(request);
          reject(new AskTimeoutError(env.to, type, timeoutMs));
        });
      }, timeoutMs);
      this.asks.set(request, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
    try {
      await this.d.mailbox.send(env, shardOf(parseActorId(env.to), this.d.shardCount));
    } catch (err) {
      const pending = this.asks.get(request);
      if (pending) clearTimeout(pending.timer);
      this.asks.delete(request);
      throw err;
    }
    return result;
  }

  depth(to: ActorId | string): Promise<number> {
    const id = typeof to === 'string' ? parseActorId(to) : to;
    if (!this.d.defs.has(id.kind)) return Promise.reject(new UnknownActorKindError(id.kind, [...this.d.defs.keys()]));
    return this.d.mailbox.depth(formatActorId(id), shardOf(id, this.d.shardCount));
  }

  /** A turn's reply to an envelope sent by this instance: settle the ask here, no round trip. */
  deliverLocal(r: Reply): void {
    this.onReply(r);
  }

  rejectAll(err: unknown): void {
    for (const [, a] of this.asks) {
      clearTimeout(a.timer);
      a.reject(err);
    }
    this.asks.clear();
  }

  private envelopeFor(to: ActorId | string, type: string, payload: unknown, extra: Partial<Envelope>): Envelope {
    const id = typeof to === 'string' ? parseActorId(to) : to;
    if (!this.d.defs.has(id.kind)) throw new UnknownActorKindError(id.kind, [...this.d.defs.keys()]);
    const trace = extra.trace ?? this.d.observer?.carrier();
    const env = makeEnvelope(id, type, payload, trace ? { ...extra, trace } : extra);
    const bytes = Buffer.byteLength(encodeEnvelope(env));
    if (bytes > this.d.maxMessageBytes) throw new MessageTooLargeError(bytes, this.d.maxMessageBytes);
    return env;
  }

  private async fetchReplies(requests: string[]): Promise<void> {
    if (!this.d.replies.fetch || requests.length === 0) return;
    try {
      for (const r of await this.d.replies.fetch(this.d.instanceId, requests)) this.onReply(r);
    } catch (err) {
      this.d.event('runtime.reply_fetch_failed', { error: String(err) });
    }
  }

  private onReply(r: Reply): void {
    const pending = this.asks.get(r.request);
    if (!pending) return;
    this.asks.delete(r.request);
    clearTimeout(pending.timer);
    if (r.ok) pending.resolve(r.value);
    else pending.reject(new RemoteError(r.error?.code ?? 'unknown', r.error?.message ?? 'failed', r.error?.retryable ?? false, r.error?.details ?? {}));
  }
}
