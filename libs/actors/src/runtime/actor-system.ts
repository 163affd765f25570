import { formatActorId, parseActorId, type ActorId } from '../actor-id';
import type { ActorDefinition, Effect } from '../behavior';
import { makeEnvelope, encodeEnvelope, newMessageId, type Envelope } from '../envelope';
import { hasErrorCode } from '../errors/godel-error';
import {
  AskTimeoutError,
  MessageTooLargeError,
  RemoteError,
  RuntimeStoppedError,
  StaleEpochError,
  UnknownActorKindError,
} from '../errors/runtime-errors';
import type {
  AckItem,
  LeaseManager,
  MailboxEntry,
  MailboxTransport,
  Membership,
  ReminderService,
  Reply,
  ReplyBus,
  StateStore,
  StateWrite,
  StoredState,
} from '../ports';
import { rendezvousOwner, shardOf } from '../shard';
import { systemClock, type Clock } from '../supervision/clock';
import { OneForOneStrategy } from '../supervision/one-for-one';
import type { TurnObserver } from '../tracing';
import type { SupervisorStrategy } from '../supervision/strategy';
import { Activation, type ActivationHost } from './activation';
import { Batcher } from './batcher';
import { LeaseDeadline } from './lease-deadline';
import type { OwnedShard } from './owned-shard';

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
}

export interface RuntimeStats {
  instanceId: string;
  ownedShards: number[];
  activations: number;
  inFlight: number;
  pendingAsks: number;
}

/**
 * The actor runtime of one instance: holds shard leases, reads their mailboxes, runs activations
 * turn by turn, group-commits their state, and answers asks. Framework-free: every technology comes
 * in through the ports.
 */
export class ActorSystem implements ActivationHost {
  readonly clock: Clock;
  private readonly defs = new Map<string, ActorDefinition>();
  private readonly strategies = new Map<string, SupervisorStrategy>();
  private readonly owned = new Map<number, OwnedShard>();
  private readonly asks = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly commits: Batcher<StateWrite, string | undefined>;
  private readonly loads: Batcher<string, StoredState | undefined>;
  private inFlight = 0;
  private running = false;
  private stopping = false;
  private leaseTimer?: ReturnType<typeof setTimeout>;
  private readonly deadlines: LeaseDeadline;
  private readLoopDone: Promise<void> = Promise.resolve();
  private capacityWaiter?: () => void;
  private leaseTick: Promise<void> = Promise.resolve();
  private readonly acquiring = new Map<number, Promise<void>>();

  constructor(private readonly opts: ActorSystemOptions) {
    this.clock = opts.clock ?? systemClock;
    const safety = opts.leaseSafetyMs ?? Math.max(100, Math.floor(opts.leaseTtlMs / 5));
    this.deadlines = new LeaseDeadline(opts.leaseTtlMs, safety, opts.monotonicNow ?? (() => performance.now()));
    for (const d of opts.definitions) this.defs.set(d.kind, d);
    this.commits = new Batcher(async (writes) => {
      const refused = await opts.store.commit(writes);
      return writes.map((w) => (refused.has(w.id) ? w.id : undefined));
    }, { maxBatch: 500, maxConcurrent: 3 });
    this.loads = new Batcher(async (ids) => {
      const found = await opts.store.load([...new Set(ids)]);
      return ids.map((id) => found.get(id));
    }, { maxBatch: 1000, maxConcurrent: 2 });
  }

  get instanceId(): string {
    return this.opts.instanceId;
  }

  get shardCount(): number {
    return this.opts.shardCount;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // Back after a dropped subscription: fetch the replies published meanwhile.
    await this.opts.replies.subscribe(this.opts.instanceId, (r) => this.onReply(r), () => void this.fetchReplies([...this.asks.keys()]));
    if (this.opts.hostShards === false) return;
    await this.opts.membership.heartbeat(this.opts.instanceId, this.opts.leaseTtlMs);
    await this.leaseRound();
    await Promise.all(this.acquiring.values());
    this.scheduleLeaseRound();
    this.deadlines.watch(() => this.owned.values(), (s) => this.loseShard(s, 'lease not renewed in time (local deadline)'));
    this.readLoopDone = this.readLoop();
  }

  /** Sends without waiting for the handling. Fails fast with mailbox.full past the actor's bound. */
  async tell(to: ActorId | string, type: string, payload: unknown, extra: Partial<Envelope> = {}): Promise<void> {
    const env = this.envelopeFor(to, type, payload, extra);
    await this.opts.mailbox.send(env, shardOf(parseActorId(env.to), this.opts.shardCount));
  }

  /** Sends and waits for the handler's reply (after its state committed). */
  async ask<T = unknown>(to: ActorId | string, type: string, payload: unknown, timeoutMs = 5000, extra: Partial<Envelope> = {}): Promise<T> {
    if (!this.running || this.stopping) throw new RuntimeStoppedError();
    const request = newMessageId();
    const env = this.envelopeFor(to, type, payload, { ...extra, replyTo: { instance: this.opts.instanceId, request } });
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
      await this.opts.mailbox.send(env, shardOf(parseActorId(env.to), this.opts.shardCount));
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
    if (!this.defs.has(id.kind)) return Promise.reject(new UnknownActorKindError(id.kind, [...this.defs.keys()]));
    return this.opts.mailbox.depth(formatActorId(id), shardOf(id, this.opts.shardCount));
  }

  stats(): RuntimeStats {
    let activations = 0;
    for (const s of this.owned.values()) activations += s.activations.size;
    return {
      instanceId: this.opts.instanceId,
      ownedShards: [...this.owned.keys()].sort((a, b) => a - b),
      activations,
      inFlight: this.inFlight,
      pendingAsks: this.asks.size,
    };
  }

  /**
   * Graceful shutdown: stop reading, finish every entry already read (turn in flight included),
   * flush commits and acks, release leases so another instance takes over without redelivery.
   */
  async stop(timeoutMs = 10000): Promise<void> {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.deadlines.stop();
    this.capacityWaiter?.();
    await this.leaseTick;
    await Promise.all(this.acquiring.values());
    await this.readLoopDone;
    const deadline = this.clock.now() + timeoutMs;
    const drained = Promise.all([...this.owned.values()].flatMap((s) => [...s.activations.values()].map((a) => a.whenDrained())));
    let guard: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([drained, new Promise((r) => (guard = setTimeout(r, Math.max(0, deadline - this.clock.now()))))]);
    clearTimeout(guard);
    await this.commits.drain();
    for (const s of [...this.owned.values()]) await this.releaseShard(s, 'shutdown');
    await this.opts.membership.leave(this.opts.instanceId).catch(() => undefined);
    for (const [, a] of this.asks) {
      clearTimeout(a.timer);
      a.reject(new RuntimeStoppedError());
    }
    this.asks.clear();
    this.running = false;
  }

  // ---- leases and membership ------------------------------------------------------------------

  private scheduleLeaseRound(): void {
    if (this.stopping) return;
    this.leaseTimer = setTimeout(() => {
      this.leaseTick = this.leaseRound().finally(() => this.scheduleLeaseRound());
    }, Math.max(50, Math.floor(this.opts.leaseTtlMs / 4)));
  }

  private async leaseRound(): Promise<void> {
    try {
      await this.opts.membership.heartbeat(this.opts.instanceId, this.opts.leaseTtlMs);
      const members = await this.opts.membership.liveMembers();
      if (!members.includes(this.opts.instanceId)) members.push(this.opts.instanceId);
      await Promise.all(
        [...this.owned.values()]
          .filter((s) => s.status !== 'closing')
          .map(async (s) => {
            const sentAt = this.deadlines.now();
            const ok = await this.opts.leases.renew(s.lease, this.opts.leaseTtlMs).catch(() => undefined);
            if (ok === true) s.validUntil = Math.max(s.validUntil, this.deadlines.after(sentAt));
            else if (ok === false) this.loseShard(s, 'lease not renewed');
            // undefined: Redis did not answer; the watchdog stops the shard before the TTL runs out.
          }),
      );
      if (this.stopping) return;
      const wanted: number[] = [];
      for (let shard = 0; shard < this.opts.shardCount; shard++) {
        const winner = rendezvousOwner(shard, members);
        const mine = this.owned.get(shard);
        if (winner === this.opts.instanceId && !mine && !this.acquiring.has(shard)) wanted.push(shard);
        // A member joined and wins this shard: hand it over, but only while it is idle.
        if (winner !== this.opts.instanceId && mine && mine.status === 'active' && mine.inFlight === 0) {
          await this.releaseShard(mine, `rebalanced to ${winner}`);
        }
      }
      // Not awaited: a long takeover must not delay the renewal of the leases we hold.
      for (const shard of wanted) {
        const p = this.acquireShard(shard)
          .catch((err) => this.event('shard.acquire_failed', { shard, error: String(err) }))
          .finally(() => this.acquiring.delete(shard));
        this.acquiring.set(shard, p);
      }
    } catch (err) {
      this.event('runtime.lease_round_failed', { error: String(err) });
    }
  }

  private async acquireShard(shard: number): Promise<void> {
    const sentAt = this.deadlines.now();
    const lease = await this.opts.leases.acquire(shard, this.opts.instanceId, this.opts.leaseTtlMs);
    if (!lease) return;
    if (this.stopping) {
      await this.opts.leases.release(lease);
      return;
    }
    try {
      await this.opts.store.fence(shard, lease.epoch, this.opts.instanceId);
    } catch (err) {
      this.event('shard.fence_failed', { shard, epoch: lease.epoch, error: String(err) });
      await this.opts.leases.release(lease).catch(() => undefined);
      // Redis lost its epoch counter (restart without persistence): continue above PostgreSQL's fence.
      const current = (err as { details?: { current?: unknown } }).details?.current;
      if (hasErrorCode(err, 'lease.stale_epoch') && typeof current === 'number') await this.opts.leases.raiseEpoch(shard, current);
      return;
    }
    const owned: OwnedShard = {
      shard,
      lease,
      status: 'recovering',
      lastId: '0-0',
      validUntil: this.deadlines.after(sentAt),
      backlog: true,
      inFlight: 0,
      activations: new Map(),
      acks: new Batcher<AckItem, void>(async (items) => {
        await this.ackWithRetry(shard, lease.epoch, items);
        return items.map(() => undefined);
      }, { maxBatch: 1000, maxConcurrent: 1 }),
    };
    this.owned.set(shard, owned);
    try {
      const { lastDeliveredId } = await this.opts.mailbox.takeOver(shard, this.opts.instanceId, lease.epoch);
      let after = '0-0';
      let redelivered = 0;
      for (;;) {
        const entries = await this.opts.mailbox.readPending(shard, this.opts.instanceId, lease.epoch, after, 500);
        // Given up meanwhile (local lease deadline, fenced): the next owner redelivers the rest.
        if (entries.length === 0 || this.owned.get(shard) !== owned) break;
        for (const e of entries) this.dispatch(owned, e);
        redelivered += entries.length;
        after = entries[entries.length - 1].streamId;
      }
      if (this.owned.get(shard) !== owned) return;
      owned.lastId = lastDeliveredId;
      if (owned.status === 'recovering') owned.status = 'active';
      this.event('shard.acquired', { shard, epoch: lease.epoch, redelivered });
    } catch (err) {
      if (hasErrorCode(err, 'lease.stale_epoch')) this.loseShard(owned, 'fenced during takeover');
      else {
        this.event('shard.takeover_failed', { shard, error: String(err) });
        await this.releaseShard(owned, 'takeover failed');
      }
    }
  }

  /** We no longer hold the lease: drop everything without acking; the new owner redelivers. */
  private loseShard(s: OwnedShard, reason: string): void {
    if (this.owned.get(s.shard) !== s) return;
    s.status = 'closing';
    this.owned.delete(s.shard);
    for (const a of s.activations.values()) a.stop();
    s.activations.clear();
    const dropped = s.inFlight;
    this.inFlight -= dropped;
    s.inFlight = 0;
    this.capacityWaiter?.();
    this.event('shard.lost', { shard: s.shard, epoch: s.lease.epoch, reason, dropped });
  }

  private async releaseShard(s: OwnedShard, reason: string): Promise<void> {
    if (this.owned.get(s.shard) !== s) return;
    s.status = 'closing';
    await s.reading;
    // Everything read is handled before the lease goes: the next owner redelivers nothing.
    for (let i = 0; s.inFlight > 0 && i < 1000; i++) {
      await Promise.all([...s.activations.values()].map((a) => a.whenDrained()));
      if (s.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    }
    await this.commits.drain();
    await s.acks.drain();
    for (const a of s.activations.values()) await this.passivate(a);
    this.owned.delete(s.shard);
    await this.opts.leases.release(s.lease).catch(() => undefined);
    this.event('shard.released', { shard: s.shard, epoch: s.lease.epoch, reason });
  }

  // ---- reading --------------------------------------------------------------------------------

  private async readLoop(): Promise<void> {
    const batch = this.opts.readBatch ?? 256;
    while (!this.stopping) {
      try {
        if (this.inFlight >= this.opts.maxInFlight) {
          await new Promise<void>((r) => (this.capacityWaiter = r));
          this.capacityWaiter = undefined;
          continue;
        }
        const active = [...this.owned.values()].filter((s) => s.status === 'active');
        if (active.length === 0) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        let ready = active.filter((s) => s.backlog);
        if (ready.length === 0) {
          const shards = await this.opts.mailbox.waitForEntries(new Map(active.map((s) => [s.shard, s.lastId])), 200);
          ready = shards.map((n) => this.owned.get(n)).filter((s): s is OwnedShard => !!s && s.status === 'active');
        }
        const room = Math.max(1, Math.min(batch, Math.floor((this.opts.maxInFlight - this.inFlight) / Math.max(1, ready.length))));
        await Promise.all(ready.map((s) => this.readShard(s, room)));
      } catch (err) {
        this.event('runtime.read_failed', { error: String(err) });
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private async readShard(s: OwnedShard, count: number): Promise<void> {
    const read = (async () => {
      try {
        // Our pending entries after lastId first: a batch whose reply a cut lost is handed over again.
        const entries = await this.opts.mailbox.readNew(s.shard, this.opts.instanceId, s.lease.epoch, count, s.lastId);
        s.backlog = entries.length >= count;
        if (entries.length > 0) s.lastId = entries[entries.length - 1].streamId;
        // Still ours (also while being released): handle what was read, or the next owner would
        // get it as a redelivery. A lost shard's entries are left to the new owner.
        if (this.owned.get(s.shard) !== s) return;
        for (const e of entries) this.dispatch(s, e);
      } catch (err) {
        if (hasErrorCode(err, 'lease.stale_epoch')) this.loseShard(s, 'fenced on read');
        else throw err;
      }
    })();
    s.reading = read.catch(() => undefined);
    await read;
  }

  private dispatch(s: OwnedShard, entry: MailboxEntry): void {
    this.inFlight++;
    s.inFlight++;
    const env = entry.envelope;
    if (!env) {
      this.deadLetterNow(s, entry, 'envelope.malformed', entry.malformed ?? 'malformed entry');
      return;
    }
    const id = parseActorId(env.to);
    const def = this.defs.get(id.kind);
    if (!def) {
      const err = new UnknownActorKindError(id.kind, [...this.defs.keys()]);
      this.deadLetterNow(s, entry, err.code, err.message);
      this.reply(entry, { request: '', ok: false, error: err.toJSON() });
      return;
    }
    let act = s.activations.get(env.to);
    if (!act) {
      act = new Activation(env.to, id, def, s.shard, s.lease.epoch, this);
      s.activations.set(env.to, act);
    }
    act.enqueue(entry);
  }

  private deadLetterNow(s: OwnedShard, entry: MailboxEntry, code: string, reason: string): void {
    void s.acks
      .add({
        streamId: entry.streamId,
        // Only entries our own send script wrote counted towards an actor's depth.
        actor: entry.envelope ? entry.actor : '',
        deadLetter: {
          streamId: entry.streamId,
          actor: entry.actor,
          type: entry.envelope?.type ?? '',
          reason,
          code,
          attempts: 0,
          envelope: entry.envelope ? encodeEnvelope(entry.envelope) : '',
          at: this.clock.now(),
        },
      })
      .catch((err) => this.ackFailed(s, err));
    this.event('message.dead_lettered', { shard: s.shard, code, reason });
    this.settle(s, 1);
  }

  private settle(s: OwnedShard, n: number): void {
    this.inFlight -= n;
    s.inFlight -= n;
    if (this.capacityWaiter && this.inFlight < this.opts.maxInFlight) this.capacityWaiter();
  }

  // ---- ActivationHost -------------------------------------------------------------------------

  load(address: string): Promise<StoredState | undefined> {
    return this.loads.add(address);
  }

  async commit(write: StateWrite): Promise<void> {
    const refused = await this.commits.add(write);
    if (refused) throw new StaleEpochError(write.shard, write.epoch, `state write of ${write.id} refused`);
  }

  async runEffects(from: Activation, effects: Effect[]): Promise<void> {
    for (const e of effects) {
      if (e.kind === 'tell') {
        const trace = this.opts.observer?.carrier();
        const env = makeEnvelope(e.to, e.type, e.payload, { id: e.id, from: from.address, ...(trace ? { trace } : {}) });
        await this.sendWithRetry(env, from);
      } else if (e.kind === 'reminder.schedule') {
        if (!this.opts.reminders) throw new Error('reminders are not configured on this runtime');
        await this.opts.reminders.schedule(from.address, e.name, Math.max(0, e.dueAt - this.clock.now()), e.payload);
      } else if (e.kind === 'reminder.cancel') {
        await this.opts.reminders?.cancel(from.address, e.name);
      }
    }
  }

  private async sendWithRetry(env: Envelope, from: Activation): Promise<void> {
    const shard = shardOf(parseActorId(env.to), this.opts.shardCount);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.mailbox.send(env, shard, { dedupe: true });
        return;
      } catch (err) {
        if (!hasErrorCode(err, 'mailbox.full') || attempt >= 8) throw err;
        this.event('effect.backpressure', { from: from.address, to: env.to, attempt });
        await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      }
    }
  }

  ack(activation: Activation, item: AckItem): void {
    const s = this.owned.get(activation.shard);
    if (!s || s.lease.epoch !== activation.epoch) return;
    void s.acks.add(item).catch((err) => this.ackFailed(s, err));
  }

  /** An ack lost to a dropped connection would leave the entry pending forever: retry until fenced. */
  private async ackWithRetry(shard: number, epoch: number, items: AckItem[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.opts.mailbox.ack(shard, epoch, items);
        return;
      } catch (err) {
        const s = this.owned.get(shard);
        if (hasErrorCode(err, 'lease.stale_epoch') || !s || s.lease.epoch !== epoch) throw err;
        this.event('runtime.ack_retry', { shard, attempt: attempt + 1, error: String(err) });
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  }

  private ackFailed(s: OwnedShard, err: unknown): void {
    if (hasErrorCode(err, 'lease.stale_epoch')) this.loseShard(s, 'fenced on ack');
    else this.event('runtime.ack_failed', { shard: s.shard, error: String(err) });
  }

  reply(entry: MailboxEntry, reply: Reply): void {
    const to = entry.envelope?.replyTo;
    if (!to) return;
    const r = { ...reply, request: to.request };
    if (to.instance === this.opts.instanceId) this.onReply(r);
    else void this.opts.replies.publish(to.instance, r).catch((err) => this.event('runtime.reply_failed', { error: String(err) }));
  }

  sendToSelf(activation: Activation, type: string, payload: unknown): void {
    this.tell(activation.address, type, payload).catch((err) => this.event('timer.send_failed', { actor: activation.address, error: String(err) }));
  }

  settled(activation: Activation, count: number): void {
    const s = this.owned.get(activation.shard);
    if (s && s.lease.epoch === activation.epoch) this.settle(s, count);
  }

  idle(activation: Activation): void {
    void this.passivate(activation);
  }

  private async passivate(a: Activation): Promise<void> {
    const s = this.owned.get(a.shard);
    if (a.hasOutbox && s && s.lease.epoch === a.epoch) {
      // Mark the outbox done so a later activation does not run its effects again.
      try {
        await this.commit({ id: a.address, kind: a.id.kind, shard: a.shard, epoch: a.epoch, version: a.version + 1, lastSeq: a.lastSeq, state: a.state, outbox: [] });
        a.markOutboxCleared(a.version + 1);
      } catch {
        return; // stays active; a later passivation retries
      }
    }
    a.stop();
    if (s && s.activations.get(a.address) === a) s.activations.delete(a.address);
    this.event('actor.passivated', { actor: a.address });
  }

  fenced(activation: Activation, err: StaleEpochError): void {
    const s = this.owned.get(activation.shard);
    if (s && s.lease.epoch === activation.epoch) this.loseShard(s, err.message);
  }

  event(type: string, data: Record<string, unknown>): void {
    this.opts.onEvent?.(type, { instance: this.opts.instanceId, ...data });
  }

  strategyFor(def: ActorDefinition): SupervisorStrategy {
    if (def.supervisor) return def.supervisor;
    let s = this.strategies.get(def.kind);
    if (!s) {
      s = new OneForOneStrategy({ intensity: { maxRestarts: 10, withinMs: 10000 }, backoff: { initialMs: 10, maxMs: 1000, multiplier: 2, jitter: 0.2 } });
      this.strategies.set(def.kind, s);
    }
    return s;
  }

  idleTimeoutMs(def: ActorDefinition): number {
    return def.idleTimeoutMs ?? this.opts.idleTimeoutMs;
  }

  observeTurn(activation: Activation, entry: MailboxEntry, fn: () => Promise<void>): Promise<void> {
    const o = this.opts.observer;
    return o && entry.envelope ? o.turn(activation.address, activation.id.kind, entry.envelope, fn) : fn();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private envelopeFor(to: ActorId | string, type: string, payload: unknown, extra: Partial<Envelope>): Envelope {
    const id = typeof to === 'string' ? parseActorId(to) : to;
    if (!this.defs.has(id.kind)) throw new UnknownActorKindError(id.kind, [...this.defs.keys()]);
    const trace = extra.trace ?? this.opts.observer?.carrier();
    const env = makeEnvelope(id, type, payload, trace ? { ...extra, trace } : extra);
    const bytes = Buffer.byteLength(encodeEnvelope(env));
    if (bytes > this.opts.maxMessageBytes) throw new MessageTooLargeError(bytes, this.opts.maxMessageBytes);
    return env;
  }

  private async fetchReplies(requests: string[]): Promise<void> {
    if (!this.opts.replies.fetch || requests.length === 0) return;
    try {
      for (const r of await this.opts.replies.fetch(this.opts.instanceId, requests)) this.onReply(r);
    } catch (err) {
      this.event('runtime.reply_fetch_failed', { error: String(err) });
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
