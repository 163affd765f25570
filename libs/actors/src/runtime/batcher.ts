/**
 * Group commit: callers add items one at a time and get a promise; items that arrive while a flush
 * is running are flushed together in the next one. Up to `maxConcurrent` flushes run at once.
 * This is what lets thousands of actors persist every turn with a few hundred database commits/s.
 */
export class Batcher<T, R> {
  private pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private running = 0;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly flushFn: (items: T[]) => Promise<R[]>,
    private readonly opts: { maxBatch: number; maxConcurrent: number },
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  get size(): number {
    return this.pending.length + this.running;
  }

  /** Resolves when nothing is pending or running. */
  drain(): Promise<void> {
    if (this.pending.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.pending.length > 0 && this.running < this.opts.maxConcurrent) {
      const batch = this.pending.splice(0, this.opts.maxBatch);
      this.running++;
      void this.run(batch);
    }
    if (this.pending.length === 0 && this.running === 0) {
      const waiters = this.idleWaiters.splice(0);
      for (const w of waiters) w();
    }
  }

  private async run(batch: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }>): Promise<void> {
    try {
      const results = await this.flushFn(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.running--;
      this.pump();
    }
  }
}
