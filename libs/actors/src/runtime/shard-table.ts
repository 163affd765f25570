import type { OwnedShard } from './owned-shard';

/**
 * The shards this instance holds and the entries read from them but not yet settled, shared by the
 * shard ownership (adds/removes shards), the shard reader (reads while there is room) and the turn
 * host (settles entries).
 */
export class ShardTable {
  readonly owned = new Map<number, OwnedShard>();
  inFlight = 0;
  private capacityWaiter?: () => void;

  constructor(readonly maxInFlight: number) {}

  get full(): boolean {
    return this.inFlight >= this.maxInFlight;
  }

  /** `s` is still the holder of its shard (not lost, released or replaced by a newer lease). */
  holds(s: OwnedShard): boolean {
    return this.owned.get(s.shard) === s;
  }

  /** The shard `shard` under exactly `epoch`, if we still hold it. */
  at(shard: number, epoch: number): OwnedShard | undefined {
    const s = this.owned.get(shard);
    return s && s.lease.epoch === epoch ? s : undefined;
  }

  add(s: OwnedShard, n: number): void {
    this.inFlight += n;
    s.inFlight += n;
  }

  settle(s: OwnedShard, n: number): void {
    this.inFlight -= n;
    s.inFlight -= n;
    if (this.capacityWaiter && this.inFlight < this.maxInFlight) this.capacityWaiter();
  }

  /** Resolves when an entry settles or `wake` is called. */
  async waitForCapacity(): Promise<void> {
    await new Promise<void>((r) => (this.capacityWaiter = r));
    this.capacityWaiter = undefined;
  }

  wake(): void {
    this.capacityWaiter?.();
  }
}
