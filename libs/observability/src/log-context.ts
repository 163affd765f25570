import { AsyncLocalStorage } from 'node:async_hooks';

/** Ids that every log line written while handling one request, turn or job carries. */
export interface LogContext {
  requestId?: string;
  correlationId?: string;
  actor?: string;
}

const store = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with these ids added to the current log context (inner values win). */
export function withLogContext<T>(ids: LogContext, fn: () => T): T {
  const merged = { ...store.getStore(), ...Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined && v !== '')) };
  return store.run(merged, fn);
}

export function currentLogContext(): LogContext | undefined {
  return store.getStore();
}
