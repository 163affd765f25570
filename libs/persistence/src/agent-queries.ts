import type { DataSource } from 'typeorm';

/** Read-only questions about agent actors, answered from their committed state. */
export class AgentQueries {
  constructor(private readonly ds: DataSource) {}

  /** Repositories any agent works in. */
  async repos(): Promise<string[]> {
    const rows: Array<{ repo: string }> = await this.ds.query(
      `SELECT DISTINCT state->>'repo' AS repo FROM actor_state WHERE kind = 'agent' AND state->>'repo' IS NOT NULL`,
    );
    return rows.map((r) => r.repo);
  }

  /** Committed status of an agent (undefined when it never ran). */
  async status(address: string): Promise<string | undefined> {
    const rows: Array<{ status: string }> = await this.ds.query(`SELECT state->>'status' AS status FROM actor_state WHERE id = $1`, [address]);
    return rows[0]?.status;
  }

  async list(filter: { team?: string; limit?: number } = {}): Promise<Array<{ address: string; state: Record<string, unknown> }>> {
    const rows: Array<{ id: string; state: Record<string, unknown> }> = await this.ds.query(
      `SELECT id, state FROM actor_state WHERE kind = 'agent' AND ($1::text IS NULL OR state->>'team' = $1) ORDER BY id LIMIT $2`,
      [filter.team ?? null, filter.limit ?? 500],
    );
    return rows.map((r) => ({ address: r.id, state: r.state }));
  }
}
