import { Batcher, StorageUnavailableError } from '@godel/actors';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { pgQuery, pgTyped } from './pg-errors';
import { redactValue } from './redaction/redact';

export interface EventRecord {
  type: string;
  agent?: string;
  team?: string;
  correlationId?: string;
  data?: Record<string, unknown>;
  at?: number;
  /**
   * Idempotency key (an outbox effect's id): an event appended again with the same key is not
   * stored twice; the append answers with the first one's sequence number.
   */
  idemKey?: string;
}

export interface StoredEvent extends Required<Omit<EventRecord, 'at' | 'idemKey'>> {
  seq: number;
  at: string;
}

export interface ListFilter {
  agent?: string;
  team?: string;
  type?: string;
  after?: number;
  upTo?: number;
  limit?: number;
}

const LIST_SQL = `SELECT seq, at, type, agent, team, correlation_id, data FROM events
       WHERE seq > $1 AND ($2::text IS NULL OR agent = $2) AND ($3::text IS NULL OR team = $3) AND ($4::text IS NULL OR type = $4)
         AND ($6::bigint IS NULL OR seq <= $6)
       ORDER BY seq LIMIT $5`;
function listParams(f: ListFilter): unknown[] {
  return [f.after ?? 0, f.agent ?? null, f.team ?? null, f.type ?? null, f.limit ?? 1000, f.upTo ?? null];
}

/**
 * Appends to the event log in batches (one INSERT per batch); returns each event's sequence number.
 * PostgreSQL unreachable (refused, cut, pool timeout) → a typed, retryable `storage.unavailable`
 * (503) from appends and reads alike; an append's outcome is then unknown.
 */
export class EventLog {
  private readonly batcher: Batcher<EventRecord, number>;
  private readonly listeners: Array<(lastSeq: number) => void> = [];

  constructor(private readonly ds: DataSource) {
    // One insert at a time per process: sequence numbers then commit in order, so a reader that
    // follows `seq` never skips an event committed late by this process.
    this.batcher = new Batcher((events) => pgTyped(() => this.insert(events)), { maxBatch: 1000, maxConcurrent: 1 });
  }

  /** Called after each committed batch with its highest sequence number (live fan-out hooks in here). */
  onAppended(listener: (lastSeq: number) => void): void {
    this.listeners.push(listener);
  }

  /** Queues one event; its data is stored with PII and secrets redacted (see redaction/redact.ts). */
  append(e: EventRecord): Promise<number> {
    return this.batcher.add(e.data === undefined ? e : { ...e, data: redactValue(e.data) });
  }

  /**
   * Appends an event that must not be dropped by a PostgreSQL outage, from code outside a turn (no
   * outbox to carry it): keyed once (so a retried insert whose first reply was lost is stored once) and
   * timestamped at the call, retried with backoff while the store is unavailable, for up to
   * `deadlineMs`. Never rejects: resolves with the sequence number, or null when it gave up.
   */
  async appendEventually(e: EventRecord, deadlineMs = 120_000): Promise<number | null> {
    const keyed: EventRecord = { ...e, at: e.at ?? Date.now(), idemKey: e.idemKey ?? `eventually:${randomUUID()}` };
    const giveUpAt = Date.now() + deadlineMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.append(keyed);
      } catch (err) {
        if (!(err instanceof StorageUnavailableError) || Date.now() >= giveUpAt) return null;
        await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** attempt)).unref());
      }
    }
  }

  flush(): Promise<void> {
    return this.batcher.drain();
  }

  /** Events with `after < seq` (and `seq <= upTo` when given), in sequence order, filtered. */
  async list(filter: ListFilter = {}): Promise<StoredEvent[]> {
    const rows: Array<Record<string, unknown>> = await pgQuery(this.ds, LIST_SQL, listParams(filter));
    return rows.map(toStored);
  }

  /**
   * list() as the JSON text of `{"items": [...]}`, built by PostgreSQL (one text value): the GET
   * route sends it as is, with no per-row parsing (dates, jsonb) or re-serialization in Node
   * (bench:api: most of that route's CPU). Same items, same order and field values as list().
   */
  async listJson(filter: ListFilter = {}): Promise<string> {
    const rows: Array<{ body: string }> = await pgQuery(this.ds,
      `SELECT '{"items":' || coalesce(json_agg(json_build_object(
           'seq', e.seq, 'at', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'type', e.type,
           'agent', coalesce(e.agent, ''), 'team', coalesce(e.team, ''), 'correlationId', coalesce(e.correlation_id, ''),
           'data', coalesce(e.data, '{}'::jsonb)) ORDER BY e.seq)::text, '[]') || '}' AS body
       FROM (${LIST_SQL}) e`,
      listParams(filter),
    );
    return rows[0].body;
  }

  /** latest() as listJson() does list(). */
  async latestJson(filter: Omit<ListFilter, 'after' | 'upTo'> = {}): Promise<string> {
    const range = await this.latestRange(filter);
    return range ? this.listJson({ ...filter, ...range }) : '{"items":[]}';
  }

  /** The last `limit` events matching the filter, oldest first (where a live view starts). */
  async latest(filter: Omit<ListFilter, 'after' | 'upTo'> = {}): Promise<StoredEvent[]> {
    const range = await this.latestRange(filter);
    return range ? this.list({ ...filter, ...range }) : [];
  }

  /** The `after`/`limit` that list the last `limit` matching events, or null when none match. */
  private async latestRange(filter: Omit<ListFilter, 'after' | 'upTo'>): Promise<{ after: number; limit: number } | null> {
    const rows: Array<{ seq: string }> = await pgQuery(this.ds,
      `SELECT seq FROM events WHERE ($1::text IS NULL OR agent = $1) AND ($2::text IS NULL OR team = $2) AND ($3::text IS NULL OR type = $3) ORDER BY seq DESC LIMIT $4`,
      [filter.agent ?? null, filter.team ?? null, filter.type ?? null, filter.limit ?? 100],
    );
    if (rows.length === 0) return null;
    return { after: Math.min(...rows.map((r) => Number(r.seq))) - 1, limit: rows.length };
  }

  /** Time (ms) of each agent's latest event: the monitor's measure of progress. */
  async lastActivity(agents: string[]): Promise<Map<string, number>> {
    if (agents.length === 0) return new Map();
    const rows: Array<{ agent: string; at: Date }> = await pgQuery(this.ds, `SELECT DISTINCT ON (agent) agent, at FROM events WHERE agent = ANY($1::text[]) ORDER BY agent, seq DESC`, [agents]);
    return new Map(rows.map((r) => [r.agent, new Date(r.at).getTime()]));
  }

  /** The id of the last prompt each agent took (`agent.prompted` / `agent.prompt_queued`): the monitor's sign that a prompt arrived. */
  async promptsTaken(agents: string[]): Promise<Map<string, string>> {
    if (agents.length === 0) return new Map();
    const rows: Array<{ agent: string; id: string | null }> = await pgQuery(this.ds, `SELECT DISTINCT ON (agent) agent, data->>'promptId' AS id FROM events WHERE agent = ANY($1::text[]) AND type IN ('agent.prompted', 'agent.prompt_queued') ORDER BY agent, seq DESC`, [agents]);
    return new Map(rows.filter((r) => r.id !== null).map((r) => [r.agent, r.id!]));
  }

  /** The team's latest event of one of `types` (whose `data.repo` is `repo`, when given), or null. */
  async latestOf(team: string, types: string[], repo?: string): Promise<StoredEvent | null> {
    const rows: Array<Record<string, unknown>> = await pgQuery(this.ds,
      `SELECT seq, at, type, agent, team, correlation_id, data FROM events
        WHERE team = $1 AND type = ANY($2::text[]) AND ($3::text IS NULL OR data->>'repo' = $3) ORDER BY seq DESC LIMIT 1`,
      [team, types, repo ?? null],
    );
    return rows.length === 0 ? null : toStored(rows[0]);
  }

  /** The highest committed sequence number (0 for an empty log). */
  async lastSeq(): Promise<number> {
    const rows: Array<{ seq: string | null }> = await pgQuery(this.ds, 'SELECT max(seq) AS seq FROM events');
    return Number(rows[0]?.seq ?? 0);
  }

  private async insert(events: EventRecord[]): Promise<number[]> {
    // Readers follow by sequence (`seq > cursor`): a sequence must never become visible after a higher
    // one, or a reader that moved past it skips it. Appends from every instance are serialized by a
    // transaction-scoped advisory lock (per schema), so sequence order is commit order. One lock per
    // batch: measured by bench:api's events_ingest_per_s.
    // An event with an idempotency key already stored (or twice in the batch) is skipped
    // (ON CONFLICT DO NOTHING); its append answers with the stored event's sequence number.
    const seqs: number[] = await this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.events'))`);
      const inserted: Array<{ seq: string; idem_key: string | null }> = await m.query(
        `INSERT INTO events (at, type, agent, team, correlation_id, data, idem_key)
         SELECT to_timestamp(u.at / 1000.0), u.type, u.agent, u.team, u.cid, u.data, u.idem
         FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[]) WITH ORDINALITY AS u(at, type, agent, team, cid, data, idem, ord)
         ORDER BY u.ord
         ON CONFLICT (idem_key) DO NOTHING
         RETURNING seq, idem_key`,
        [
          events.map((e) => e.at ?? Date.now()),
          events.map((e) => e.type),
          events.map((e) => e.agent ?? null),
          events.map((e) => e.team ?? null),
          events.map((e) => e.correlationId ?? null),
          // PostgreSQL's jsonb refuses \u0000; one such string must not fail the whole batch.
          events.map((e) => JSON.stringify(e.data ?? {}).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd')),
          events.map((e) => e.idemKey ?? null),
        ],
      );
      return this.seqsOf(m, events, inserted);
    });
    const last = Math.max(...seqs);
    for (const l of this.listeners) l(last);
    return seqs;
  }

  /** Each event's sequence number: inserted rows in order; a skipped duplicate gets the stored one's. */
  private async seqsOf(m: EntityManager, events: EventRecord[], inserted: Array<{ seq: string; idem_key: string | null }>): Promise<number[]> {
    if (inserted.length === events.length) return inserted.map((r) => Number(r.seq));
    const byKey = new Map<string, number>();
    const unkeyed: number[] = [];
    for (const r of inserted) {
      if (r.idem_key === null) unkeyed.push(Number(r.seq));
      else byKey.set(r.idem_key, Number(r.seq));
    }
    const missing = [...new Set(events.map((e) => e.idemKey).filter((k): k is string => k !== undefined && !byKey.has(k)))];
    if (missing.length > 0) {
      const found: Array<{ seq: string; idem_key: string }> = await m.query(`SELECT seq, idem_key FROM events WHERE idem_key = ANY($1::text[])`, [missing]);
      for (const r of found) byKey.set(r.idem_key, Number(r.seq));
    }
    let next = 0;
    return events.map((e) => (e.idemKey === undefined ? unkeyed[next++] : byKey.get(e.idemKey) ?? 0));
  }
}

function toStored(r: Record<string, unknown>): StoredEvent {
  return {
    seq: Number(r.seq),
    at: new Date(r.at as string).toISOString(),
    type: String(r.type),
    agent: (r.agent as string) ?? '',
    team: (r.team as string) ?? '',
    correlationId: (r.correlation_id as string) ?? '',
    data: (r.data as Record<string, unknown>) ?? {},
  };
}
