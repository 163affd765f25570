import { parseActorId } from '../actor-id';
import type { ActorDefinition, Effect, EffectExecutor } from '../behavior';
import { makeEnvelope, type Envelope } from '../envelope';
import { hasErrorCode } from '../errors/godel-error';
import { StaleEpochError, UnknownEffectError } from '../errors/runtime-errors';
import type { AckItem, MailboxEntry, Reply, StateWrite, StoredState } from '../ports';
import { shardOf } from '../shard';
import type { Clock } from '../supervision/clock';
import { OneForOneStrategy } from '../supervision/one-for-one';
import type { SupervisorStrategy } from '../supervision/strategy';
import type { Activation, ActivationHost } from './activation';
import type { ActorClient } from './actor-client';
import type { ActorSystemOptions, EmitEvent } from './actor-system-options';
import { Batcher } from './batcher';
import type { ShardOwnership } from './shard-ownership';
import type { ShardTable } from './shard-table';

export interface TurnHostDeps {
  opts: ActorSystemOptions;
  clock: Clock;
  table: ShardTable;
  client: ActorClient;
  /** Set after construction: ownership needs the host (drain, passivate) and the host gives shards up. */
  ownership: () => ShardOwnership;
  event: EmitEvent;
  /** Runtime-wide custom effect executors (ActorSystem.registerEffect); a kind's own come first. */
  effects: ReadonlyMap<string, EffectExecutor>;
}

/**
 * Hosts the activations of the owned shards: batched state loads, the group commit, outbox effects
 * after commit (deduplicated sends, reminders), acks, replies, passivation, the per-kind supervisor
 * strategy and the tracing observer around each turn.
 */
export class TurnHost implements ActivationHost {
  readonly clock: Clock;
  private readonly strategies = new Map<string, SupervisorStrategy>();
  private readonly commits: Batcher<StateWrite, string | undefined>;
  private readonly loads: Batcher<string, StoredState | undefined>;

  constructor(private readonly d: TurnHostDeps) {
    this.clock = d.clock;
    const store = d.opts.store;
    this.commits = new Batcher(async (writes) => {
      const refused = await store.commit(writes);
      return writes.map((w) => (refused.has(w.id) ? w.id : undefined));
    }, { maxBatch: 500, maxConcurrent: 3 });
    this.loads = new Batcher(async (ids) => {
      const found = await store.load([...new Set(ids)]);
      return ids.map((id) => found.get(id));
    }, { maxBatch: 1000, maxConcurrent: 2 });
  }

  drainCommits(): Promise<void> {
    return this.commits.drain();
  }

  load(address: string): Promise<StoredState | undefined> {
    return this.loads.add(address);
  }

  async commit(write: StateWrite): Promise<void> {
    const refused = await this.commits.add(write);
    if (refused) throw new StaleEpochError(write.shard, write.epoch, `state write of ${write.id} refused`);
  }

  async runEffects(from: Activation, effects: Effect[]): Promise<void> {
    const { opts } = this.d;
    for (const e of effects) {
      if (e.kind === 'tell') {
        await this.tellFrom(from, e.to, e.type, e.payload, e.id);
      } else if (e.kind === 'reminder.schedule') {
        if (!opts.reminders) throw new Error('reminders are not configured on this runtime');
        await opts.reminders.schedule(from.address, e.name, Math.max(0, e.dueAt - this.clock.now()), e.payload);
      } else if (e.kind === 'reminder.cancel') {
        await opts.reminders?.cancel(from.address, e.name);
      } else if (e.kind === 'effect') {
        const run = this.executor(from.def, e.type);
        if (!run) throw new UnknownEffectError(from.def.kind, e.type);
        let told = 0;
        const tell = (to: string, type: string, payload: unknown) => this.tellFrom(from, to, type, payload, `${e.id}/${++told}`);
        await run({ id: e.id, type: e.type, payload: e.payload, from: from.address, tell });
      }
    }
  }

  /** A deduplicated send from `from` with a deterministic envelope id (an outbox tell, or an effect's). */
  private tellFrom(from: Activation, to: string, type: string, payload: unknown, id: string): Promise<void> {
    const trace = this.d.opts.observer?.carrier();
    return this.sendWithRetry(makeEnvelope(to, type, payload, { id, from: from.address, ...(trace ? { trace } : {}) }), from);
  }

  effectKnown(def: ActorDefinition, type: string): boolean {
    return this.executor(def, type) !== undefined;
  }

  private executor(def: ActorDefinition, type: string): EffectExecutor | undefined {
    return (def.effects && Object.hasOwn(def.effects, type) ? def.effects[type] : undefined) ?? this.d.effects.get(type);
  }

  private async sendWithRetry(env: Envelope, from: Activation): Promise<void> {
    const shard = shardOf(parseActorId(env.to), this.d.opts.shardCount);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.d.opts.mailbox.send(env, shard, { dedupe: true });
        return;
      } catch (err) {
        if (!hasErrorCode(err, 'mailbox.full') || attempt >= 8) throw err;
        this.event('effect.backpressure', { from: from.address, to: env.to, attempt });
        await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      }
    }
  }

  ack(activation: Activation, item: AckItem): void {
    const s = this.d.table.at(activation.shard, activation.epoch);
    if (s) this.d.ownership().ack(s, item);
  }

  reply(entry: MailboxEntry, reply: Reply): void {
    const to = entry.envelope?.replyTo;
    if (!to) return;
    const r = { ...reply, request: to.request };
    if (to.instance === this.d.opts.instanceId) this.d.client.deliverLocal(r);
    else void this.d.opts.replies.publish(to.instance, r).catch((err) => this.event('runtime.reply_failed', { error: String(err) }));
  }

  sendToSelf(activation: Activation, type: string, payload: unknown): void {
    this.d.client.tell(activation.address, type, payload).catch((err) => this.event('timer.send_failed', { actor: activation.address, error: String(err) }));
  }

  settled(activation: Activation, count: number): void {
    const s = this.d.table.at(activation.shard, activation.epoch);
    if (s) this.d.table.settle(s, count);
  }

  idle(activation: Activation): void {
    void this.passivate(activation);
  }

  async passivate(a: Activation): Promise<void> {
    const s = this.d.table.owned.get(a.shard);
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
    const s = this.d.table.at(activation.shard, activation.epoch);
    if (s) this.d.ownership().lose(s, err.message);
  }

  event(type: string, data: Record<string, unknown>): void {
    this.d.event(type, data);
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
    return def.idleTimeoutMs ?? this.d.opts.idleTimeoutMs;
  }

  observeTurn(activation: Activation, entry: MailboxEntry, fn: () => Promise<void>): Promise<void> {
    const o = this.d.opts.observer;
    return o && entry.envelope ? o.turn(activation.address, activation.id.kind, entry.envelope, fn) : fn();
  }
}
