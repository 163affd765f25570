import { StorageUnavailableError } from '@godel/actors';
import type { DataSource } from 'typeorm';

/**
 * A connection-level failure (SQLSTATE class 08, 57P0x shutdown, a refused/reset/cut socket, a pool
 * that timed out connecting): PostgreSQL was not reachable, the statement's outcome may be unknown.
 */
export function isPgUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(08|57P0)/.test(code)) return true;
  return /ECONN|ETIMEDOUT|EPIPE|terminat|Connection|timeout exceeded when trying to connect/i.test(String(err));
}

/** Runs `fn` (statements, a transaction), with connection-level failures as a typed, retryable `storage.unavailable` (503 over HTTP). */
export async function pgTyped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isPgUnavailable(err)) throw new StorageUnavailableError('PostgreSQL', err);
    throw err;
  }
}

/** `ds.query`, with connection-level failures as a typed, retryable `storage.unavailable` (503 over HTTP). */
export function pgQuery<T>(ds: DataSource, sql: string, params: unknown[] = []): Promise<T[]> {
  return pgTyped(async () => (await ds.query(sql, params)) as T[]);
}
