import type { ActorId } from '../actor-id';
import type { ActorDefinition, EffectExecutor } from '../behavior';
import type { Envelope } from '../envelope';
import { RuntimeStoppedError } from '../errors/runtime-errors';
import { RendezvousPlacement } from '../placement/rendezvous-placement';
import { systemClock, type Clock } from '../supervision/clock';
import { ActorClient } from './actor-client';
import type { ActorSystemOptions, FederationHooks, RuntimeStats } from './actor-system-options';
import { LeaseDeadline } from './lease-deadline';
import { ShardOwnership } from './shard-ownership';
import { ShardReader } from './shard-reader';
import { ShardTable } from './shard-table';
import { TurnHost } from './turn-host';

export type { ActorSystemOptions, RuntimeStats } from './actor-system-options';

/**
 * The actor runtime of one instance, composed of four parts: shard ownership (lease rounds,
 * placement, takeover — `ShardOwnership`), the read loop (`ShardReader`), the activations' host
 * (`TurnHost`: loads, group commit, effects, acks) and the sending side (`ActorClient`: tell/ask).
 * Framework-free: every technology comes in through the ports.
 */
export class ActorSystem {
  readonly clock: Clock;
  private readonly table: ShardTable;
  private readonly client: ActorClient;
  private readonly host: TurnHost;
  private readonly ownership: ShardOwnership;
  private readonly reader: ShardReader;
  private readonly defs: Map<string, ActorDefinition>;
  private readonly effects = new Map<string, EffectExecutor>();
  private federation?: FederationHooks;
  private running = false;
  private stopping = false;

  constructor(private readonly opts: ActorSystemOptions) {
    this.clock = opts.clock ?? systemClock;
    this.federation = opts.federation;
    const defs = (this.defs = new Map<string, ActorDefinition>(opts.definitions.map((d) => [d.kind, d])));
    const event = (type: string, data: Record<string, unknown>): void => opts.onEvent?.(type, { instance: opts.instanceId, ...data });
    const stopping = (): boolean => this.stopping;
    const safety = opts.leaseSafetyMs ?? Math.max(100, Math.floor(opts.leaseTtlMs / 5));
    const deadlines = new LeaseDeadline(opts.leaseTtlMs, safety, opts.monotonicNow ?? (() => performance.now()));
    this.table = new ShardTable(opts.maxInFlight);
    this.client = new ActorClient({
      instanceId: opts.instanceId,
      shardCount: opts.shardCount,
      maxMessageBytes: opts.maxMessageBytes,
      mailbox: opts.mailbox,
      replies: opts.replies,
      defs,
      observer: opts.observer,
      event,
      accepting: () => this.running && !this.stopping,
    });
    this.host = new TurnHost({ opts, clock: this.clock, table: this.table, client: this.client, ownership: () => this.ownership, event, effects: this.effects });
    this.reader = new ShardReader({
      instanceId: opts.instanceId,
      mailbox: opts.mailbox,
      readBatch: opts.readBatch ?? 256,
      defs,
      table: this.table,
      ownership: () => this.ownership,
      host: this.host,
      clock: this.clock,
      event,
      reply: (entry, reply) => this.host.reply(entry, reply),
      stopping,
    });
    this.ownership = new ShardOwnership({
      opts,
      federation: () => this.federation,
      table: this.table,
      placement: opts.placement ?? new RendezvousPlacement(),
      deadlines,
      event,
      stopping,
      dispatch: (s, entry) => this.reader.dispatch(s, entry),
      drainCommits: () => this.host.drainCommits(),
      passivate: (a) => this.host.passivate(a),
    });
  }

  get instanceId(): string {
    return this.opts.instanceId;
  }

  get shardCount(): number {
    return this.opts.shardCount;
  }

  /**
   * Adds an actor kind before `start` — for kinds whose behaviour needs this system to report back
   * (an agent's process host, a merge queue), so the system is built first and the kinds after it.
   */
  register(definition: ActorDefinition): void {
    if (this.running) throw new Error(`actor kind ${definition.kind} registered after the runtime started`);
    if (this.defs.has(definition.kind)) throw new Error(`actor kind ${definition.kind} is registered twice`);
    this.defs.set(definition.kind, definition);
  }

  /**
   * Registers the executor of a custom effect type (`ctx.effect(type, …)`) for every kind, before
   * `start`; a kind's own `ActorDefinition.effects` take precedence. Executors must be idempotent by
   * the effect's id: an effect runs again when its activation died before marking it done.
   */
  registerEffect(type: string, executor: EffectExecutor): void {
    if (this.running) throw new Error(`effect ${type} registered after the runtime started`);
    if (this.effects.has(type)) throw new Error(`effect ${type} is registered twice`);
    this.effects.set(type, executor);
  }

  /**
   * Sets the federation's lease-round hooks before `start` (see FederationHooks), for hooks that need
   * this system themselves (e.g. a member that stops the agents of a handed-over shard through an
   * agent host that tells this system), so the system is built first and the hooks after it. Once.
   */
  useFederation(hooks: FederationHooks): void {
    if (this.running) throw new Error('federation hooks set after the runtime started');
    if (this.federation) throw new Error('federation hooks are set twice');
    this.federation = hooks;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.client.subscribe();
    if (this.opts.hostShards === false) return;
    await this.ownership.start();
    this.reader.start();
  }

  /** Sends without waiting for the handling. Fails fast with mailbox.full past the actor's bound. */
  tell(to: ActorId | string, type: string, payload: unknown, extra: Partial<Envelope> = {}): Promise<void> {
    return this.client.tell(to, type, payload, extra);
  }

  /** Sends and waits for the handler's reply (after its state committed). */
  ask<T = unknown>(to: ActorId | string, type: string, payload: unknown, timeoutMs = 5000, extra: Partial<Envelope> = {}): Promise<T> {
    return this.client.ask<T>(to, type, payload, timeoutMs, extra);
  }

  depth(to: ActorId | string): Promise<number> {
    return this.client.depth(to);
  }

  stats(): RuntimeStats {
    let activations = 0;
    for (const s of this.table.owned.values()) activations += s.activations.size;
    return {
      instanceId: this.opts.instanceId,
      ownedShards: [...this.table.owned.keys()].sort((a, b) => a - b),
      activations,
      inFlight: this.table.inFlight,
      pendingAsks: this.client.pendingAsks,
    };
  }

  /**
   * Graceful shutdown: stop reading, finish every entry already read (turn in flight included),
   * flush commits and acks, release leases so another instance takes over without redelivery.
   */
  async stop(timeoutMs = 10000): Promise<void> {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    this.table.wake();
    await this.ownership.stopRounds();
    await this.reader.whenStopped();
    const deadline = this.clock.now() + timeoutMs;
    const drained = Promise.all([...this.table.owned.values()].flatMap((s) => [...s.activations.values()].map((a) => a.whenDrained())));
    let guard: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([drained, new Promise((r) => (guard = setTimeout(r, Math.max(0, deadline - this.clock.now()))))]);
    clearTimeout(guard);
    await this.host.drainCommits();
    await this.ownership.releaseAll();
    this.client.rejectAll(new RuntimeStoppedError());
    this.running = false;
  }
}
