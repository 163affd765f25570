import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The shards with an agent mid-turn, asked every 300 ms by each instance (federation hand-over):
 * without an index the question read every agent row of the owned shards and the status out of its
 * (TOASTed) state — 41–51 ms for 60,000 rows here, and actor_state only grows. The status is kept
 * in a stored generated column, and a partial index holds the busy agents alone (0.2–0.7 ms).
 * Not an index on `state` itself: an index that names `state` (even in its predicate) makes every
 * actor's state write a non-HOT update — 0 % HOT updates instead of ~95 % in bench:actors. The
 * column changes only when an agent's status does. The predicate must match `busy-agents.ts` (a
 * spec checks the plan uses the index).
 */
export class BusyAgentsIndex1764547200000 implements MigrationInterface {
  name = 'BusyAgentsIndex1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actor_state ADD COLUMN agent_status text GENERATED ALWAYS AS (CASE WHEN kind = 'agent' THEN state->>'status' END) STORED`);
    await q.query(`CREATE INDEX actor_state_busy_agents_idx ON actor_state (shard) WHERE agent_status IN ('preparing', 'starting', 'running')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX actor_state_busy_agents_idx`);
    await q.query(`ALTER TABLE actor_state DROP COLUMN agent_status`);
  }
}
