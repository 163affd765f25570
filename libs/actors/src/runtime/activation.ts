import type { ActorId } from '../actor-id';
import type { ActorDefinition, Effect } from '../behavior';
import { hasErrorCode } from '../errors/godel-error';
import { HandlerError, StaleEpochError } from '../errors/runtime-errors';
import type { AckItem, MailboxEntry, Reply, StateWrite, StoredState } from '../ports';
import { compareStreamIds } from '../shard';
import type { Clock, TimerHandle } from '../supervision/clock';
import type { SupervisorStrategy } from '../supervision/strategy';
import { deadLetterAck } from './dead-letter';
import { TurnContext } from './turn-context';

/** What an activation needs from the runtime that hosts it. */
export interface ActivationHost {
  readonly clock: Clock;
  load(address: string): Promise<StoredState | undefined>;
  commit(write: StateWrite): Promise<void>;
  runEffects(from: Activation, effects: Effect[]): Promise<void>;
  ack(activation: Activation, item: AckItem): void;
  reply(entry: MailboxEntry, reply: Reply): void;
  sendToSelf(activation: Activation, type: string, payload: unknown): void;
  /** Called once per queue entry that is finished (handled, skipped or dead-lettered). */
  settled(activation: Activation, count: number): void;
  idle(activation: Activation): void;
  /** The activation found out its epoch is stale (another instance holds the shard). */
  fenced(activation: Activation, err: StaleEpochError): void;
  /** Storage failed while loading: retried with backoff; reported so operators see it. */
  event(type: string, data: Record<string, unknown>): void;
  strategyFor(def: ActorDefinition): SupervisorStrategy;
  idleTimeoutMs(def: ActorDefinition): number;
  /** Whether a custom effect type has an executor (optional: a host without it knows none). */
  effectKnown?(def: ActorDefinition, type: string): boolean;
  /** Runs one turn (tracing, latency); optional, a host without it runs `fn` as is. */
  observeTurn?(activation: Activation, entry: MailboxEntry, fn: () => Promise<void>): Promise<void>;
}

const LOAD_RETRY_MS = [50, 100, 200, 500, 1000, 2000];

/** One live actor instance: its committed state, its queue and its turn loop (one message at a time). */
export class Activation {
  state: unknown;
  version = 0;
  lastSeq = '0-0';
  private queue: MailboxEntry[] = [];
  private busy = false;
  private loaded = false;
  private stopped = false;
  private idleTimer?: TimerHandle;
  private readonly timers = new Map<string, TimerHandle>();
  private outboxPending = false;
  private drainDone: Promise<void> = Promise.resolve();

  constructor(
    readonly address: string,
    readonly id: ActorId,
    readonly def: ActorDefinition,
    readonly shard: number,
    readonly epoch: number,
    private readonly host: ActivationHost,
  ) {
    this.state = def.initialState(id);
  }

  get queued(): number {
    return this.queue.length;
  }

  get isBusy(): boolean {
    return this.busy;
  }

  enqueue(entry: MailboxEntry): void {
    if (this.stopped) return;
    this.queue.push(entry);
    this.clearIdle();
    if (!this.busy) this.drainDone = this.drain();
  }

  /** Waits for the turn in flight and the queued entries (graceful shutdown). */
  async whenDrained(): Promise<void> {
    while (!this.stopped && (this.busy || this.queue.length > 0)) await this.drainDone;
  }

  /** Drops queued entries without acking them (the next owner redelivers them); returns how many. */
  stop(): number {
    this.stopped = true;
    this.clearIdle();
    for (const t of this.timers.values()) this.host.clock.clearTimeout(t);
    this.timers.clear();
    const dropped = this.busy ? this.queue.length - 1 : this.queue.length;
    this.queue = this.busy ? this.queue.slice(0, 1) : [];
    return Math.max(0, dropped);
  }

  /** True when the last committed turn left effects that a passivation should mark done. */
  get hasOutbox(): boolean {
    return this.outboxPending;
  }

  markOutboxCleared(version: number): void {
    this.version = version;
    this.outboxPending = false;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      if (!this.loaded && !(await this.load())) return;
      while (this.queue.length > 0 && !this.stopped) {
        const entry = this.queue[0];
        if (this.host.observeTurn) await this.host.observeTurn(this, entry, () => this.process(entry));
        else await this.process(entry);
        this.queue.shift();
        this.host.settled(this, 1);
      }
    } catch (err) {
      if (hasErrorCode(err, 'lease.stale_epoch')) this.host.fenced(this, err as StaleEpochError);
      else this.host.event('actor.crashed', { actor: this.address, error: String(err) });
    } finally {
      this.busy = false;
      if (!this.stopped && this.queue.length === 0) this.armIdle();
      else if (!this.stopped && this.queue.length > 0) this.drainDone = this.drain();
    }
  }

  private async load(): Promise<boolean> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const stored = await this.host.load(this.address);
        if (stored) {
          this.state = stored.state;
          this.version = stored.version;
          this.lastSeq = stored.lastSeq;
          if (stored.outbox.length > 0) {
            // The previous activation committed these effects but may have died before running them.
            this.outboxPending = true;
            await this.runEffectsReliably(stored.outbox);
          }
        }
        this.loaded = true;
        this.host.event('actor.activated', { actor: this.address, shard: this.shard, epoch: this.epoch, version: this.version });
        return true;
      } catch (err) {
        const delay = LOAD_RETRY_MS[Math.min(attempt, LOAD_RETRY_MS.length - 1)];
        this.host.event('actor.activation_failed', { actor: this.address, attempt: attempt + 1, retryInMs: delay, error: String(err) });
        await new Promise<void>((r) => this.host.clock.setTimeout(r, delay));
      }
    }
    return false;
  }

  private async process(entry: MailboxEntry): Promise<void> {
    const env = entry.envelope!;
    if (compareStreamIds(entry.streamId, this.lastSeq) <= 0) {
      // Redelivered after its effect was committed: effectively-once means we only acknowledge it.
      this.host.ack(this, { streamId: entry.streamId, actor: this.address });
      this.host.event('message.duplicate', { actor: this.address, streamId: entry.streamId });
      return;
    }
    const strategy = this.host.strategyFor(this.def);
    const maxAttempts = this.def.maxAttempts ?? 3;
    for (let attempt = 1, outage = 0; ; attempt++) {
      const ctx = new TurnContext(this.id, this.address, this.epoch, env, entry.streamId, () => this.host.clock.now(), (type) => this.host.effectKnown?.(this.def, type) ?? false);
      let next: unknown;
      try {
        next = await this.def.receive(structuredClone(this.state), { type: env.type, payload: env.payload, envelope: env }, ctx);
      } catch (err) {
        if (hasErrorCode(err, 'storage.unavailable')) {
          // The store the handler read is down, not the message at fault: the turn waits for it
          // (backing off; ended by a lost shard) instead of spending attempts and dead-lettering an
          // acknowledged message — a team's agent update lost that way left the team waiting forever.
          const delay = LOAD_RETRY_MS[Math.min(outage, LOAD_RETRY_MS.length - 1)];
          if (outage++ % 10 === 0) this.host.event('actor.storage_wait', { actor: this.address, type: env.type, retryInMs: delay, waits: outage, error: String(err) });
          await new Promise<void>((r) => this.host.clock.setTimeout(r, delay));
          if (this.stopped) return;
          attempt--;
          continue;
        }
        const decision = strategy.decide(this.address, [this.address], err, this.host.clock.now());
        if (decision.directive === 'restart' && attempt < maxAttempts && !this.stopped) {
          this.host.event('actor.restarted', { actor: this.address, type: env.type, attempt, delayMs: decision.delayMs, error: String(err) });
          await new Promise<void>((r) => this.host.clock.setTimeout(r, decision.delayMs));
          if (this.stopped) return;
          continue;
        }
        const failure = new HandlerError(this.address, env.type, attempt, err);
        const reason = decision.directive === 'restart' ? `failed ${attempt} attempts` : `supervisor directive: ${decision.directive}`;
        this.host.ack(
          this,
          deadLetterAck(entry, {
            reason: `${reason}: ${err instanceof Error ? err.message : String(err)}`,
            code: typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : failure.code,
            attempts: attempt,
            at: this.host.clock.now(),
          }),
        );
        this.host.event('message.dead_lettered', { actor: this.address, type: env.type, attempts: attempt, directive: decision.directive });
        this.host.reply(entry, { request: '', ok: false, error: failure.toJSON() });
        // The actor goes on with its next message, from its last committed state (the failed turn
        // changed nothing), whatever the directive: a virtual actor is never stopped by a message.
        // Stopping this activation here (as it once did on stop/escalate) left it holding its shard
        // with every later message dropped until the shard moved: one refused prompt (an agent's
        // non-retryable AgentStateError) froze an agent, and its team waited for it forever.
        return;
      }
      const effects = ctx.effects;
      await this.host.commit({
        id: this.address,
        kind: this.id.kind,
        shard: this.shard,
        epoch: this.epoch,
        version: this.version + 1,
        lastSeq: entry.streamId,
        state: next,
        outbox: effects,
      });
      this.state = next;
      this.version += 1;
      this.lastSeq = entry.streamId;
      strategy.reset(this.address);
      this.outboxPending = effects.length > 0;
      if (effects.length > 0) await this.runEffectsReliably(effects);
      for (const t of ctx.timerRequests) this.startTimer(t.name, t.delayMs, t.type, t.payload);
      this.host.ack(this, { streamId: entry.streamId, actor: this.address });
      this.host.reply(entry, { request: '', ok: true, value: ctx.replyValue });
      return;
    }
  }

  /**
   * Effects of a committed turn must run; they carry deterministic ids, so retrying is safe. If the
   * shard is lost meanwhile, the next owner runs them from the stored outbox.
   */
  private async runEffectsReliably(effects: Effect[]): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.host.runEffects(this, effects);
        return;
      } catch (err) {
        const delay = LOAD_RETRY_MS[Math.min(attempt, LOAD_RETRY_MS.length - 1)];
        this.host.event('actor.effects_failed', { actor: this.address, attempt: attempt + 1, retryInMs: delay, error: String(err) });
        await new Promise<void>((r) => this.host.clock.setTimeout(r, delay));
      }
    }
  }

  private startTimer(name: string, delayMs: number, type: string, payload: unknown): void {
    const old = this.timers.get(name);
    if (old) this.host.clock.clearTimeout(old);
    this.timers.set(
      name,
      this.host.clock.setTimeout(() => {
        this.timers.delete(name);
        if (!this.stopped) this.host.sendToSelf(this, type, payload);
      }, delayMs),
    );
  }

  private armIdle(): void {
    this.clearIdle();
    if (this.timers.size > 0) return; // a pending timer keeps the activation alive
    this.idleTimer = this.host.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.busy && this.queue.length === 0 && !this.stopped) this.host.idle(this);
    }, this.host.idleTimeoutMs(this.def));
  }

  private clearIdle(): void {
    if (this.idleTimer) this.host.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
