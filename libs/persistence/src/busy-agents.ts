import type { DataSource } from 'typeorm';
import { pgQuery } from './pg-errors';

/**
 * Agents with a turn (or a start) in progress — statuses preparing, starting, running — keep their
 * shard from a hand-over. `agent_status` is the agent's `state->>'status'` (a stored generated
 * column; NULL for other kinds). Written out, not a parameter: the planner uses the partial index
 * actor_state_busy_agents_idx (migration 1764547200000) only when the query's predicate is its own.
 */
const BUSY = `agent_status IN ('preparing', 'starting', 'running')`;

export const BUSY_SHARDS_SQL = `SELECT DISTINCT shard FROM actor_state WHERE ${BUSY} AND shard = ANY($1::int[])`;
export const SHARD_BUSY_SQL = `SELECT 1 FROM actor_state WHERE ${BUSY} AND shard = $1 LIMIT 1`;

/** Which of `shards` have an agent mid-turn, from the committed states. */
export async function busyAgentShards(ds: DataSource, shards: readonly number[]): Promise<Set<number>> {
  const rows = await pgQuery<{ shard: number }>(ds, BUSY_SHARDS_SQL, [shards]);
  return new Set(rows.map((r) => Number(r.shard)));
}

/** Whether `shard` has an agent mid-turn, from the committed states. */
export async function shardHasBusyAgent(ds: DataSource, shard: number): Promise<boolean> {
  return (await pgQuery(ds, SHARD_BUSY_SQL, [shard])).length > 0;
}
