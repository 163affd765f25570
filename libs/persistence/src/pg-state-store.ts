import { StaleEpochError, type StateStore, type StateWrite, type StoredState } from '@godel/actors';
import type { DataSource } from 'typeorm';
import { pgPrepared, pgQuery } from './pg-errors';

/**
 * Actor state in PostgreSQL with fencing. A commit is one statement for a whole batch of actors
 * (group commit); each row is written only when its epoch equals the shard's fence, read under
 * FOR SHARE so a concurrent fence raise waits for the batch (or the batch sees the new epoch).
 */
export class PgStateStore implements StateStore {
  constructor(private readonly ds: DataSource) {}

  async fence(shard: number, epoch: number, owner: string): Promise<void> {
    const rows = await this.query<{ epoch: string }>(
      `WITH up AS (
         INSERT INTO shard_fence (shard, epoch, owner, fenced_at) VALUES ($1, $2, $3, clock_timestamp())
         ON CONFLICT (shard) DO UPDATE SET epoch = EXCLUDED.epoch, owner = EXCLUDED.owner, fenced_at = EXCLUDED.fenced_at
         WHERE shard_fence.epoch < EXCLUDED.epoch
         RETURNING shard, epoch, owner),
       log AS (INSERT INTO shard_lease_log (shard, epoch, owner) SELECT shard, epoch, owner FROM up RETURNING epoch)
       SELECT epoch FROM log`,
      [shard, epoch, owner],
    );
    if (rows.length === 0) {
      const cur = await this.query<{ epoch: string }>(`SELECT epoch FROM shard_fence WHERE shard = $1`, [shard]);
      throw new StaleEpochError(shard, epoch, 'PostgreSQL fence is ahead', cur[0] ? Number(cur[0].epoch) : undefined);
    }
  }

  async load(ids: readonly string[]): Promise<Map<string, StoredState>> {
    const rows = await this.prepared<{
      id: string;
      kind: string;
      shard: number;
      epoch: string;
      version: string;
      last_seq: string;
      state: unknown;
      outbox: unknown;
    }>('godel_state_load', `SELECT id, kind, shard, epoch, version, last_seq, state, outbox FROM actor_state WHERE id = ANY($1::text[])`, [ids]);
    return new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          kind: r.kind,
          shard: r.shard,
          epoch: Number(r.epoch),
          version: Number(r.version),
          lastSeq: r.last_seq,
          state: r.state,
          outbox: Array.isArray(r.outbox) ? r.outbox : [],
        } as StoredState,
      ]),
    );
  }

  async commit(writes: readonly StateWrite[]): Promise<Set<string>> {
    if (writes.length === 0) return new Set();
    // One row per actor per statement (ON CONFLICT cannot touch a row twice): keep the newest.
    const latest = new Map<string, StateWrite>();
    for (const w of writes) {
      const prev = latest.get(w.id);
      if (!prev || prev.version < w.version) latest.set(w.id, w);
    }
    const ws = [...latest.values()];
    // Every turn's statement: prepared once per connection (pgPrepared).
    const written = await this.prepared<{ id: string }>(
      'godel_state_commit',
      `WITH f AS (SELECT shard, epoch FROM shard_fence WHERE shard = ANY($3::int[]) FOR SHARE)
       INSERT INTO actor_state (id, kind, shard, epoch, version, last_seq, state, outbox, updated_at)
       SELECT u.id, u.kind, u.shard, u.epoch, u.version, u.last_seq, u.state, u.outbox, now()
       FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::text[], $7::jsonb[], $8::jsonb[])
         AS u(id, kind, shard, epoch, version, last_seq, state, outbox)
       JOIN f ON f.shard = u.shard AND f.epoch = u.epoch
       ON CONFLICT (id) DO UPDATE SET epoch = EXCLUDED.epoch, version = EXCLUDED.version, last_seq = EXCLUDED.last_seq,
         state = EXCLUDED.state, outbox = EXCLUDED.outbox, updated_at = EXCLUDED.updated_at
       RETURNING id`,
      [
        ws.map((w) => w.id),
        ws.map((w) => w.kind),
        ws.map((w) => w.shard),
        ws.map((w) => w.epoch),
        ws.map((w) => w.version),
        ws.map((w) => w.lastSeq),
        ws.map((w) => JSON.stringify(w.state ?? null)),
        ws.map((w) => JSON.stringify(w.outbox ?? [])),
      ],
    );
    const ok = new Set(written.map((r) => r.id));
    return new Set(writes.filter((w) => !ok.has(w.id)).map((w) => w.id));
  }

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return pgQuery<T>(this.ds, sql, params);
  }

  private prepared<T>(name: string, sql: string, params: unknown[]): Promise<T[]> {
    return pgPrepared<T>(this.ds, name, sql, params);
  }
}
