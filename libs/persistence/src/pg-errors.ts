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

interface PgPool {
  query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * `pgQuery` as a named prepared statement: each pooled connection parses and plans `text` once and
 * then only binds and executes it. For the statements of every turn (the state commit): a named
 * commit of 12 rows took 250–463 µs of the backend's CPU instead of 567–813 µs (wall 512–676 µs
 * instead of 1,088–1,349), same box. `name` must be unique per `text`. Through TypeORM's own pool
 * (`driver.master`, node-postgres); `ds.query` when there is none.
 */
export function pgPrepared<T>(ds: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (ds.driver as { master?: PgPool }).master;
  if (!pool || typeof pool.query !== 'function') return pgQuery<T>(ds, text, values);
  return pgTyped(async () => (await pool.query({ name, text, values })).rows as T[]);
}
