/**
 * Fan-out of one event stream to listeners and async iterators. Each iterator buffers from the
 * moment it is created, so an event emitted between two `await`s is not lost; all iterators finish
 * when the hub is closed.
 */
export class EventHub<T> {
  private readonly listeners = new Set<(event: T) => void>();
  private readonly closeListeners = new Set<() => void>();
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  emit(event: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not stop the stream for the others (nor crash the reader of stdout).
      }
    }
  }

  /** Calls `listener` for each event until the returned function is called. */
  subscribe(listener: (event: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    for (const listener of [...this.closeListeners]) listener();
    this.closeListeners.clear();
  }

  /** Runs `listener` once when the hub closes (at once if it already has). */
  onClose(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  iterate(): AsyncIterableIterator<T> {
    const buffered: T[] = [];
    let wake: (() => void) | undefined;
    let done = this.closed;
    const unsubscribe = this.subscribe((event) => {
      buffered.push(event);
      wake?.();
    });
    const unClose = this.onClose(() => {
      done = true;
      wake?.();
    });
    const finish = (): IteratorReturnResult<undefined> => {
      unsubscribe();
      unClose();
      done = true;
      buffered.length = 0;
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<T> = {
      next: async (): Promise<IteratorResult<T>> => {
        while (buffered.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (buffered.length > 0) return { done: false, value: buffered.shift() as T };
        return finish();
      },
      return: async () => finish(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
