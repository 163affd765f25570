/**
 * Shares one in-flight run of a read-only lookup per key: a caller that asks while a run for its key
 * is under way gets that run's answer instead of starting another (nothing is kept once it settles).
 * For lookups whose answer may be as old as one run, e.g. a burst of warm-pool claims all asking git
 * for the same base commit and whether the main tree is clean: one git process answers them all.
 */
export class SingleFlight {
  private readonly running = new Map<string, Promise<unknown>>();

  run<T>(key: string, lookup: () => Promise<T>): Promise<T> {
    const current = this.running.get(key) as Promise<T> | undefined;
    if (current) return current;
    const p = lookup().finally(() => this.running.delete(key));
    this.running.set(key, p);
    return p;
  }

  /** Keys with a run under way (for tests). */
  get size(): number {
    return this.running.size;
  }
}
