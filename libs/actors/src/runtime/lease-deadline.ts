import type { OwnedShard } from './owned-shard';

/**
 * Local belief in shard leases, on the monotonic clock (docs/adr/0004). Redis starts a lease's TTL
 * when it runs the grant or renewal, which is after we sent it; so believing until
 * `sent + TTL - safety` ends before the lease can expire in Redis, even if Redis never answers again.
 */
export class LeaseDeadline {
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly ttlMs: number,
    private readonly safetyMs: number,
    readonly now: () => number,
  ) {}

  /** Local end of belief in a lease whose grant or renewal was sent at `sentAt`. */
  after(sentAt: number): number {
    return sentAt + this.ttlMs - this.safetyMs;
  }

  /** Every TTL/20, gives up (`lose`) each shard past its deadline. */
  watch(owned: () => Iterable<OwnedShard>, lose: (s: OwnedShard) => void): void {
    this.timer = setInterval(() => {
      const now = this.now();
      for (const s of [...owned()]) if (s.status !== 'closing' && now >= s.validUntil) lose(s);
    }, Math.max(20, Math.floor(this.ttlMs / 20)));
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
