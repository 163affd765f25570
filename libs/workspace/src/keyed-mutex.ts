/**
 * Serialises async sections per key, in call order, inside one process. Used per repository
 * (key: real path of the git common dir) so this process never races itself on git's locks;
 * other processes are handled by retrying on lock errors.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await section();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a running or queued section (for tests and diagnostics). */
  get busyKeys(): number {
    return this.tails.size;
  }
}
