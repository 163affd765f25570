import { Batcher } from '@godel/actors';
import type { DataSource } from 'typeorm';
import { redactValue } from './redaction/redact';

export interface EventRecord {
  type: string;
  agent?: string;
  team?: string;
  correlationId?: string;
  data?: Record<string, unknown>;
  at?: number;
}

export interface StoredEvent extends Required<Omit<EventRecord, 'at'>> {
  seq: number;
  at: string;
}

/** Appends to the event log in batches (one INSERT per batch); returns each event's sequence number. */
export class EventLog {
  private readonly batcher: Batcher<EventRecord, number>;
  private readonly listeners: Array<(lastSeq: number) => void> = [];

  constructor(private readonly ds: DataSource) {
    // One insert at a time per process: sequence numbers then commit in order, so a reader that
    // follows `seq` never skips an event committed late by this process.
    this.batcher = new Batcher((events) => this.insert(events), { maxBatch: 1000, maxConcurrent: 1 });
  }

  /** Called after each committed batch with its highest sequence number (live fan-out hooks in here). */
  onAppended(listener: (lastSeq: number) => void): void {
    this.listeners.push(listener);
  }

  /** Queues one event; its data is stored with PII and secrets redacted (see redaction/redact.ts). */
  append(e: EventRecord): Promise<number> {
    return this.batcher.add(e.data === undefined ? e : { ...e, data: redactValue(e.data) });
  }

  flush(): Promise<void> {
    return this.batcher.drain();
  }

  /** Events with `after < seq` (and `seq <= upTo` when given), in sequence order, filtered. */
  async list(filter: { agent?: string; team?: string; type?: string; after?: number; upTo?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT seq, at, type, agent, team, correlation_id, data FROM events
       WHERE seq > $1 AND ($2::text IS NULL OR agent = $2) AND ($3::text IS NULL OR team = $3) AND ($4::text IS NULL OR type = $4)
         AND ($6::bigint IS NULL OR seq <= $6)
       ORDER BY seq LIMIT $5`,
      [filter.after ?? 0, filter.agent ?? null, filter.team ?? null, filter.type ?? null, filter.limit ?? 1000, filter.upTo ?? null],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: new Date(r.at as string).toISOString(),
      type: String(r.type),
      agent: (r.agent as string) ?? '',
      team: (r.team as string) ?? '',
      correlationId: (r.correlation_id as string) ?? '',
      data: (r.data as Record<string, unknown>) ?? {},
    }));
  }

  /** The last `limit` events matching the filter, oldest first (where a live view starts). */
  async latest(filter: { agent?: string; team?: string; type?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    const rows: Array<{ seq: string }> = await this.ds.query(
      `SELECT seq FROM events WHERE ($1::text IS NULL OR agent = $1) AND ($2::text IS NULL OR team = $2) AND ($3::text IS NULL OR type = $3) ORDER BY seq DESC LIMIT $4`,
      [filter.agent ?? null, filter.team ?? null, filter.type ?? null, filter.limit ?? 100],
    );
    if (rows.length === 0) return [];
    const oldest = Math.min(...rows.map((r) => Number(r.seq)));
    return this.list({ ...filter, after: oldest - 1, limit: rows.length });
  }

  /** Time (ms) of each agent's latest event: the monitor's measure of progress. */
  async lastActivity(agents: string[]): Promise<Map<string, number>> {
    if (agents.length === 0) return new Map();
    const rows: Array<{ agent: string; at: Date }> = await this.ds.query(`SELECT DISTINCT ON (agent) agent, at FROM events WHERE agent = ANY($1::text[]) ORDER BY agent, seq DESC`, [agents]);
    return new Map(rows.map((r) => [r.agent, new Date(r.at).getTime()]));
  }

  /** The highest committed sequence number (0 for an empty log). */
  async lastSeq(): Promise<number> {
    const rows: Array<{ seq: string | null }> = await this.ds.query('SELECT max(seq) AS seq FROM events');
    return Number(rows[0]?.seq ?? 0);
  }

  private async insert(events: EventRecord[]): Promise<number[]> {
    // Readers follow by sequence (`seq > cursor`): a sequence must never become visible after a higher
    // one, or a reader that moved past it skips it. Appends from every instance are serialized by a
    // transaction-scoped advisory lock (per schema), so sequence order is commit order. One lock per
    // batch: measured by bench:api's events_ingest_per_s.
    const rows: Array<{ seq: string }> = await this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.events'))`);
      return m.query(
        `INSERT INTO events (at, type, agent, team, correlation_id, data)
         SELECT to_timestamp(u.at / 1000.0), u.type, u.agent, u.team, u.cid, u.data
         FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) WITH ORDINALITY AS u(at, type, agent, team, cid, data, ord)
         ORDER BY u.ord
         RETURNING seq`,
        [
          events.map((e) => e.at ?? Date.now()),
          events.map((e) => e.type),
          events.map((e) => e.agent ?? null),
          events.map((e) => e.team ?? null),
          events.map((e) => e.correlationId ?? null),
          // PostgreSQL's jsonb refuses \u0000; one such string must not fail the whole batch.
          events.map((e) => JSON.stringify(e.data ?? {}).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd')),
        ],
      );
    });
    const seqs = rows.map((r) => Number(r.seq));
    const last = Math.max(...seqs);
    for (const l of this.listeners) l(last);
    return seqs;
  }
}
