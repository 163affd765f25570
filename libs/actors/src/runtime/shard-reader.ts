import { parseActorId } from '../actor-id';
import type { ActorDefinition } from '../behavior';
import { hasErrorCode } from '../errors/godel-error';
import { UnknownActorKindError } from '../errors/runtime-errors';
import type { MailboxEntry, MailboxTransport, Reply } from '../ports';
import type { Clock } from '../supervision/clock';
import { Activation, type ActivationHost } from './activation';
import type { EmitEvent } from './actor-system-options';
import { deadLetterAck } from './dead-letter';
import type { OwnedShard } from './owned-shard';
import type { ShardOwnership } from './shard-ownership';
import type { ShardTable } from './shard-table';

export interface ShardReaderDeps {
  instanceId: string;
  mailbox: MailboxTransport;
  readBatch: number;
  defs: ReadonlyMap<string, ActorDefinition>;
  table: ShardTable;
  /** Set after construction: ownership and reader call each other (takeover redelivers through dispatch). */
  ownership: () => ShardOwnership;
  host: ActivationHost;
  clock: Clock;
  event: EmitEvent;
  reply: (entry: MailboxEntry, reply: Reply) => void;
  stopping: () => boolean;
}

/**
 * The read loop: while there is room (`maxInFlight`), reads the active shards' mailboxes — our own
 * pending entries after the last id first (docs/adr/0004) — and dispatches each entry to its
 * actor's activation, creating it on first use. Entries that cannot reach an actor (malformed,
 * unknown kind) go straight to the dead-letter stream.
 */
export class ShardReader {
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly d: ShardReaderDeps) {}

  start(): void {
    this.done = this.loop();
  }

  /** Resolves once the loop has seen `stopping()` (call `table.wake()` to end a wait for room). */
  whenStopped(): Promise<void> {
    return this.done;
  }

  private async loop(): Promise<void> {
    const { table } = this.d;
    const batch = this.d.readBatch;
    while (!this.d.stopping()) {
      try {
        if (table.full) {
          await table.waitForCapacity();
          continue;
        }
        const active = [...table.owned.values()].filter((s) => s.status === 'active');
        if (active.length === 0) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        let ready = active.filter((s) => s.backlog);
        if (ready.length === 0) {
          const shards = await this.d.mailbox.waitForEntries(new Map(active.map((s) => [s.shard, s.lastId])), 200);
          ready = shards.map((n) => table.owned.get(n)).filter((s): s is OwnedShard => !!s && s.status === 'active');
        }
        const room = Math.max(1, Math.min(batch, Math.floor((table.maxInFlight - table.inFlight) / Math.max(1, ready.length))));
        await Promise.all(ready.map((s) => this.readShard(s, room)));
      } catch (err) {
        this.d.event('runtime.read_failed', { error: String(err) });
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private async readShard(s: OwnedShard, count: number): Promise<void> {
    const read = (async () => {
      try {
        // Our pending entries after lastId first: a batch whose reply a cut lost is handed over again.
        const entries = await this.d.mailbox.readNew(s.shard, this.d.instanceId, s.lease.epoch, count, s.lastId);
        s.backlog = entries.length >= count;
        if (entries.length > 0) s.lastId = entries[entries.length - 1].streamId;
        // Still ours (also while being released): handle what was read, or the next owner would
        // get it as a redelivery. A lost shard's entries are left to the new owner.
        if (!this.d.table.holds(s)) return;
        for (const e of entries) this.dispatch(s, e);
      } catch (err) {
        if (hasErrorCode(err, 'lease.stale_epoch')) this.d.ownership().lose(s, 'fenced on read');
        else throw err;
      }
    })();
    s.reading = read.catch(() => undefined);
    await read;
  }

  /** Hands one entry of shard `s` to its activation (also used for redelivery on takeover). */
  dispatch(s: OwnedShard, entry: MailboxEntry): void {
    this.d.table.add(s, 1);
    const env = entry.envelope;
    if (!env) {
      this.deadLetterNow(s, entry, 'envelope.malformed', entry.malformed ?? 'malformed entry');
      return;
    }
    const id = parseActorId(env.to);
    const def = this.d.defs.get(id.kind);
    if (!def) {
      const err = new UnknownActorKindError(id.kind, [...this.d.defs.keys()]);
      this.deadLetterNow(s, entry, err.code, err.message);
      this.d.reply(entry, { request: '', ok: false, error: err.toJSON() });
      return;
    }
    let act = s.activations.get(env.to);
    if (!act) {
      act = new Activation(env.to, id, def, s.shard, s.lease.epoch, this.d.host);
      s.activations.set(env.to, act);
    }
    act.enqueue(entry);
  }

  private deadLetterNow(s: OwnedShard, entry: MailboxEntry, code: string, reason: string): void {
    this.d.ownership().ack(s, deadLetterAck(entry, { code, reason, attempts: 0, at: this.d.clock.now() }));
    this.d.event('message.dead_lettered', { shard: s.shard, code, reason });
    this.d.table.settle(s, 1);
  }
}
