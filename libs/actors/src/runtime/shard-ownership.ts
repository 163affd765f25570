import { hasErrorCode } from '../errors/godel-error';
import { rendezvousOwner } from '../shard';
import type { PlacementStrategy } from '../placement/placement-strategy';
import type { AckItem, MailboxEntry } from '../ports';
import type { Activation } from './activation';
import type { ActorSystemOptions, EmitEvent, FederationHooks } from './actor-system-options';
import { Batcher } from './batcher';
import type { LeaseDeadline } from './lease-deadline';
import type { OwnedShard } from './owned-shard';
import type { ShardTable } from './shard-table';

/** What shard ownership needs from the rest of the runtime. */
export interface ShardOwnershipDeps {
  opts: ActorSystemOptions;
  /** The federation's hooks, if any: given in the options or registered before start (`ActorSystem.useFederation`). */
  federation: () => FederationHooks | undefined;
  table: ShardTable;
  placement: PlacementStrategy;
  deadlines: LeaseDeadline;
  event: EmitEvent;
  stopping: () => boolean;
  /** Hands a redelivered entry to its activation (the shard reader's dispatch). */
  dispatch: (s: OwnedShard, entry: MailboxEntry) => void;
  /** Waits until every state write handed to the group commit is written. */
  drainCommits: () => Promise<void>;
  passivate: (a: Activation) => Promise<void>;
}

/**
 * Lease rounds and shard ownership: heartbeats membership, renews the leases we hold, acquires the
 * shards the placement strategy gives us (fence, take over, redeliver pending entries in order),
 * hands over idle shards another member wins, and gives up shards whose lease is gone — on a
 * refusal, a fence, or the local lease deadline (docs/adr/0004).
 */
export class ShardOwnership {
  private timer?: ReturnType<typeof setTimeout>;
  private tick: Promise<void> = Promise.resolve();
  private readonly acquiring = new Map<number, Promise<void>>();
  /** Monotonic time of the last heartbeat Redis accepted (a gap longer than the TTL: the others saw us dead). */
  private lastBeat = 0;

  constructor(private readonly d: ShardOwnershipDeps) {}

  /** Joins, takes the first shards, then renews every TTL/4 and watches the local deadlines. */
  async start(): Promise<void> {
    const { opts, deadlines, table } = this.d;
    await opts.membership.heartbeat(opts.instanceId, opts.leaseTtlMs, this.d.federation()?.memberInfo?.());
    this.lastBeat = deadlines.now();
    await this.round();
    await Promise.all(this.acquiring.values());
    this.schedule();
    deadlines.watch(() => table.owned.values(), (s) => this.lose(s, 'lease not renewed in time (local deadline)'));
  }

  /** Stops renewing and acquiring; waits for the round and takeovers in progress. */
  async stopRounds(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.d.deadlines.stop();
    await this.tick;
    await Promise.all(this.acquiring.values());
  }

  /** Graceful: releases every shard (after its entries are handled) and leaves the membership. */
  async releaseAll(): Promise<void> {
    for (const s of [...this.d.table.owned.values()]) await this.release(s, 'shutdown');
    await this.d.opts.membership.leave(this.d.opts.instanceId).catch(() => undefined);
  }

  private schedule(): void {
    if (this.d.stopping()) return;
    this.timer = setTimeout(() => {
      this.tick = this.round().finally(() => this.schedule());
    }, Math.max(50, Math.floor(this.d.opts.leaseTtlMs / 4)));
  }

  private async round(): Promise<void> {
    const { opts, table, deadlines } = this.d;
    try {
      const fed = this.d.federation();
      // Every shard we still hold, one being released too: a release waits for the turns in flight
      // (seconds for an agent's start), and a lease left to lapse meanwhile let the next owner take
      // the shard over (redelivering) instead of receiving it by hand-over. `lose` removes a shard
      // from the table, so a lost one is not renewed. Sent before the heartbeat and the view, not
      // after them: on a busy event loop each await costs a stall, and two of them before the
      // renewal lost leases whose TTL had not run out in Redis.
      const renewals = Promise.all(
        [...table.owned.values()].map(async (s) => {
          const sentAt = deadlines.now();
          const ok = await opts.leases.renew(s.lease, opts.leaseTtlMs).catch(() => undefined);
          if (ok === true) s.validUntil = Math.max(s.validUntil, deadlines.after(sentAt));
          else if (ok === false) this.lose(s, 'lease not renewed');
          // undefined: Redis did not answer; the watchdog stops the shard before the TTL runs out.
        }),
      );
      await opts.membership.heartbeat(opts.instanceId, opts.leaseTtlMs, fed?.memberInfo?.()).finally(() => renewals); // renewals never reject
      const beat = deadlines.now();
      if (this.lastBeat > 0 && beat - this.lastBeat > opts.leaseTtlMs) await fed?.onHeartbeatGap?.(beat - this.lastBeat);
      this.lastBeat = beat;
      const statuses = opts.membership.view ? await opts.membership.view() : undefined;
      const members = statuses ? statuses.map((m) => m.id) : await opts.membership.liveMembers();
      const view = statuses ? new Map(statuses.map((m) => [m.id, m])) : undefined;
      if (!members.includes(opts.instanceId)) members.push(opts.instanceId);
      if (this.d.stopping()) return;
      const wanted: number[] = [];
      for (let shard = 0; shard < opts.shardCount; shard++) {
        const winner = this.d.placement.ownerOf(shard, members, view);
        const mine = table.owned.get(shard);
        // No opinion (no member qualifies): an owned shard stays, an unowned one goes to its rendezvous winner.
        const taker = winner ?? rendezvousOwner(shard, members);
        if (taker === opts.instanceId && !mine && !this.acquiring.has(shard)) wanted.push(shard);
        // Another member wins this shard (it joined, or we drain): hand it over, but only while it is idle.
        if (winner && winner !== opts.instanceId && mine && mine.status === 'active' && mine.inFlight === 0 && (fed?.canHandOver?.(shard) ?? true)) {
          const confirm = fed?.confirmHandOver ? (n: number) => fed.confirmHandOver!(n) : undefined;
          if (!(await this.release(mine, `rebalanced to ${winner}`, confirm))) continue;
          // Not awaited: stopping local processes must not delay the renewal of the leases we hold.
          void Promise.resolve()
            .then(() => fed?.onHandedOver?.(shard, winner))
            .catch((err) => this.d.event('shard.handover_failed', { shard, to: winner, error: String(err) }));
        }
      }
      // Not awaited: a long takeover must not delay the renewal of the leases we hold.
      for (const shard of wanted) {
        const p = this.acquire(shard)
          .catch((err) => this.d.event('shard.acquire_failed', { shard, error: String(err) }))
          .finally(() => this.acquiring.delete(shard));
        this.acquiring.set(shard, p);
      }
    } catch (err) {
      this.d.event('runtime.lease_round_failed', { error: String(err) });
    }
  }

  private async acquire(shard: number): Promise<void> {
    const { opts, table, deadlines } = this.d;
    const sentAt = deadlines.now();
    const lease = await opts.leases.acquire(shard, opts.instanceId, opts.leaseTtlMs);
    if (!lease) return;
    if (this.d.stopping()) {
      await opts.leases.release(lease);
      return;
    }
    try {
      await opts.store.fence(shard, lease.epoch, opts.instanceId);
    } catch (err) {
      this.d.event('shard.fence_failed', { shard, epoch: lease.epoch, error: String(err) });
      await opts.leases.release(lease).catch(() => undefined);
      // Redis lost its epoch counter (restart without persistence): continue above PostgreSQL's fence.
      const current = (err as { details?: { current?: unknown } }).details?.current;
      if (hasErrorCode(err, 'lease.stale_epoch') && typeof current === 'number') await opts.leases.raiseEpoch(shard, current);
      return;
    }
    const owned: OwnedShard = {
      shard,
      lease,
      status: 'recovering',
      lastId: '0-0',
      validUntil: deadlines.after(sentAt),
      backlog: true,
      inFlight: 0,
      activations: new Map(),
      acks: new Batcher<AckItem, void>(async (items) => {
        await this.ackWithRetry(shard, lease.epoch, items);
        return items.map(() => undefined);
      }, { maxBatch: 1000, maxConcurrent: 1 }),
    };
    table.owned.set(shard, owned);
    try {
      const { lastDeliveredId } = await opts.mailbox.takeOver(shard, opts.instanceId, lease.epoch);
      let after = '0-0';
      let redelivered = 0;
      for (;;) {
        const entries = await opts.mailbox.readPending(shard, opts.instanceId, lease.epoch, after, 500);
        // Given up meanwhile (local lease deadline, fenced): the next owner redelivers the rest.
        if (entries.length === 0 || !table.holds(owned)) break;
        for (const e of entries) this.d.dispatch(owned, e);
        redelivered += entries.length;
        after = entries[entries.length - 1].streamId;
      }
      if (!table.holds(owned)) return;
      owned.lastId = lastDeliveredId;
      if (owned.status === 'recovering') owned.status = 'active';
      this.d.event('shard.acquired', { shard, epoch: lease.epoch, redelivered });
    } catch (err) {
      if (hasErrorCode(err, 'lease.stale_epoch')) this.lose(owned, 'fenced during takeover');
      else {
        this.d.event('shard.takeover_failed', { shard, error: String(err) });
        await this.release(owned, 'takeover failed');
      }
    }
  }

  /** We no longer hold the lease: drop everything without acking; the new owner redelivers. */
  lose(s: OwnedShard, reason: string): void {
    const { table } = this.d;
    if (!table.holds(s)) return;
    s.status = 'closing';
    table.owned.delete(s.shard);
    for (const a of s.activations.values()) a.stop();
    s.activations.clear();
    const dropped = s.inFlight;
    table.inFlight -= dropped;
    s.inFlight = 0;
    table.wake();
    this.d.event('shard.lost', { shard: s.shard, epoch: s.lease.epoch, reason, dropped });
  }

  /**
   * Gives a shard up gracefully (its entries handled first); with `confirm`, a hand-over asks once
   * more after that and keeps the shard (active again, false) when the answer is no.
   */
  private async release(s: OwnedShard, reason: string, confirm?: (shard: number) => Promise<boolean>): Promise<boolean> {
    const { table } = this.d;
    if (!table.holds(s)) return false;
    s.status = 'closing';
    await s.reading;
    // Everything read is handled before the lease goes: the next owner redelivers nothing.
    for (let i = 0; s.inFlight > 0 && i < 1000; i++) {
      await Promise.all([...s.activations.values()].map((a) => a.whenDrained()));
      if (s.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    }
    await this.d.drainCommits();
    await s.acks.drain();
    // A message read while the release began may have started work the hand-over would cut (an
    // agent's turn: its process stopped here, restarted on the next owner). Keep the shard then.
    if (confirm && table.holds(s) && s.inFlight === 0 && !(await confirm(s.shard).catch(() => false))) {
      if (!table.holds(s)) return false;
      s.status = 'active';
      this.d.event('shard.handover_deferred', { shard: s.shard, epoch: s.lease.epoch, reason });
      return false;
    }
    if (!table.holds(s)) return false;
    for (const a of s.activations.values()) await this.d.passivate(a);
    table.owned.delete(s.shard);
    await this.d.opts.leases.release(s.lease).catch(() => undefined);
    this.d.event('shard.released', { shard: s.shard, epoch: s.lease.epoch, reason });
    return true;
  }

  /** Queues an ack (or dead letter) on the shard's ack batch; a fence on ack gives the shard up. */
  ack(s: OwnedShard, item: AckItem): void {
    void s.acks.add(item).catch((err) => this.ackFailed(s, err));
  }

  /** An ack lost to a dropped connection would leave the entry pending forever: retry until fenced. */
  private async ackWithRetry(shard: number, epoch: number, items: AckItem[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.d.opts.mailbox.ack(shard, epoch, items);
        return;
      } catch (err) {
        if (hasErrorCode(err, 'lease.stale_epoch') || !this.d.table.at(shard, epoch)) throw err;
        this.d.event('runtime.ack_retry', { shard, attempt: attempt + 1, error: String(err) });
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  }

  private ackFailed(s: OwnedShard, err: unknown): void {
    if (hasErrorCode(err, 'lease.stale_epoch')) this.lose(s, 'fenced on ack');
    else this.d.event('runtime.ack_failed', { shard: s.shard, error: String(err) });
  }
}
