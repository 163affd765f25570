import { AsyncLocalStorage } from 'node:async_hooks';

/** Ids that every log line written while handling one request, turn or job carries. */
export interface LogContext {
  requestId?: string;
  correlationId?: string;
  actor?: string;
}

const store = new AsyncLocalStorage<LogContext>();
let enabled = true;

/**
 * Whether requests and turns carry a log context (GODEL_LOG_CONTEXT). Off, `withLogContext` only
 * runs `fn`: no AsyncLocalStorage is ever entered, so Node's async hooks stay off.
 */
export function setLogContextEnabled(on: boolean): void {
  enabled = on;
}

/** Runs `fn` with these ids added to the current log context (inner values win). */
export function withLogContext<T>(ids: LogContext, fn: () => T): T {
  if (!enabled) return fn();
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
