import type { DataSource } from 'typeorm';

const BATCH = 5000;

/**
 * Deletes events and audit rows older than `days` (by their `at`), in batches so no statement holds
 * locks on a large log for long. Returns how many rows went from each table.
 */
export async function pruneOlderThan(ds: DataSource, days: number, now = Date.now()): Promise<{ events: number; audit: number }> {
  const before = new Date(now - days * 86_400_000);
  return {
    events: await prune(ds, `DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE at < $1 ORDER BY seq LIMIT ${BATCH})`, before),
    audit: await prune(ds, `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT ${BATCH})`, before),
  };
}

async function prune(ds: DataSource, sql: string, before: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const res = (await ds.query(sql, [before])) as [unknown[], number] | unknown[];
    // typeorm's postgres driver answers a DELETE with [rows, affected]
    const n = Array.isArray(res) && res.length === 2 && typeof res[1] === 'number' ? res[1] : 0;
    total += n;
    if (n < BATCH) return total;
  }
}
