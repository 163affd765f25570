import type { DataSource } from 'typeorm';
import { pgQuery } from './pg-errors';

export interface StoredSession {
  agent: string;
  team: string;
  fileName: string;
  content: string;
  parentAgent: string | null;
  forkedFromEntry: string | null;
  baseCommit: string | null;
  updatedAt: string;
}

/**
 * Agents' coding-agent sessions in PostgreSQL: resume on any instance, fork, browse the tree.
 * PostgreSQL unreachable → `storage.unavailable` (retryable; `save` is an idempotent upsert).
 */
export class SessionStore {
  constructor(private readonly ds: DataSource) {}

  async save(s: Omit<StoredSession, 'updatedAt'>): Promise<void> {
    await pgQuery(
      this.ds,
      `INSERT INTO agent_sessions (agent, team, file_name, content, parent_agent, forked_from_entry, base_commit, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (agent) DO UPDATE SET file_name = EXCLUDED.file_name, content = EXCLUDED.content, updated_at = now()`,
      [s.agent, s.team, s.fileName, s.content, s.parentAgent, s.forkedFromEntry, s.baseCommit],
    );
  }

  async load(agent: string): Promise<StoredSession | undefined> {
    const rows = await pgQuery<Record<string, unknown>>(this.ds, `SELECT * FROM agent_sessions WHERE agent = $1`, [agent]);
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  /** Every session of a team with its parent, oldest first: the session tree. */
  async tree(team: string): Promise<StoredSession[]> {
    const rows = await pgQuery<Record<string, unknown>>(this.ds, `SELECT * FROM agent_sessions WHERE team = $1 ORDER BY updated_at`, [team]);
    return rows.map(toSession);
  }
}

function toSession(r: Record<string, unknown>): StoredSession {
  return {
    agent: String(r.agent),
    team: String(r.team),
    fileName: String(r.file_name),
    content: String(r.content),
    parentAgent: (r.parent_agent as string) ?? null,
    forkedFromEntry: (r.forked_from_entry as string) ?? null,
    baseCommit: (r.base_commit as string) ?? null,
    updatedAt: new Date(r.updated_at as string).toISOString(),
  };
}
