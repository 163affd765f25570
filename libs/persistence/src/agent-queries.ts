import type { DataSource } from 'typeorm';
import type { AgentStateProjection, TeamStateProjection } from './state-projections';

/**
 * Read-only questions about agent and team actors, answered from their committed state. The SQL
 * reads only the fields of `AgentStateProjection` / `TeamStateProjection` (state-projections.ts),
 * which the agents and orchestration libs assert their state types still have.
 */
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

  /** Tokens and cost summed over a team's agents (their committed state). */
  async teamUsage(team: string, exclude?: string): Promise<{ total: number; costUsd: number; agents: number }> {
    const rows: Array<{ total: string | null; cost: string | null; n: string }> = await this.ds.query(
      `SELECT sum((state->'usage'->>'total')::float8) AS total, sum((state->'usage'->>'costUsd')::float8) AS cost, count(*) AS n
       FROM actor_state WHERE kind = 'agent' AND state->>'team' = $1 AND ($2::text IS NULL OR id <> $2)`,
      [team, exclude ?? null],
    );
    return { total: Number(rows[0]?.total ?? 0), costUsd: Number(rows[0]?.cost ?? 0), agents: Number(rows[0]?.n ?? 0) };
  }

  /** An actor's committed state (undefined when it never ran). */
  async state<T = Record<string, unknown>>(address: string): Promise<T | undefined> {
    const rows: Array<{ state: T }> = await this.ds.query(`SELECT state FROM actor_state WHERE id = $1`, [address]);
    return rows[0]?.state;
  }

  /** Teams (their committed state), newest first. `T` is the team kind's state type. */
  async teams<T extends TeamStateProjection = TeamStateProjection & Record<string, unknown>>(filter: { status?: string; limit?: number } = {}): Promise<T[]> {
    const rows: Array<{ state: T }> = await this.ds.query(
      `SELECT state FROM actor_state WHERE kind = 'team' AND state->>'status' <> 'new' AND ($1::text IS NULL OR state->>'status' = $1)
       ORDER BY (state->>'createdAt')::float8 DESC NULLS LAST LIMIT $2`,
      [filter.status ?? null, filter.limit ?? 100],
    );
    return rows.map((r) => r.state);
  }

  /** Agents (address and committed state) by address, of one team or all. */
  async list(filter: { team?: string; limit?: number } = {}): Promise<Array<{ address: string; state: AgentStateProjection & Record<string, unknown> }>> {
    const rows: Array<{ id: string; state: AgentStateProjection & Record<string, unknown> }> = await this.ds.query(
      `SELECT id, state FROM actor_state WHERE kind = 'agent' AND ($1::text IS NULL OR state->>'team' = $1) ORDER BY id LIMIT $2`,
      [filter.team ?? null, filter.limit ?? 500],
    );
    return rows.map((r) => ({ address: r.id, state: r.state }));
  }

  /** How many agents are in each status (metrics); a row without a status counts as `unknown`. */
  async agentsByStatus(): Promise<Record<string, number>> {
    const rows: Array<{ state: string | null; n: string }> = await this.ds.query(`SELECT state->>'status' AS state, count(*) AS n FROM actor_state WHERE kind = 'agent' GROUP BY 1`);
    return Object.fromEntries(rows.map((r) => [r.state ?? 'unknown', Number(r.n)]));
  }
}
