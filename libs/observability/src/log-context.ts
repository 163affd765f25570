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
  // Once per request and per turn: kept cheap (no intermediate arrays).
  const merged: LogContext = { ...store.getStore() };
  if (ids.requestId) merged.requestId = ids.requestId;
  if (ids.correlationId) merged.correlationId = ids.correlationId;
  if (ids.actor) merged.actor = ids.actor;
  return store.run(merged, fn);
}

export function currentLogContext(): LogContext | undefined {
  return store.getStore();
}
