import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The shards with an agent mid-turn, asked every 300 ms by each instance (federation hand-over):
 * without this index the question read every agent row of the owned shards and the status out of
 * its (TOASTed) state — 41–51 ms for 60,000 rows here, and actor_state only grows. A partial index
 * holds the busy agents alone (0.2–0.7 ms). Its predicate must match `busy-agents.ts` word for
 * word (test/federation/busy-agents-index.int-spec.ts checks the plan uses it).
 */
export class BusyAgentsIndex1764547200000 implements MigrationInterface {
  name = 'BusyAgentsIndex1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX actor_state_busy_agents_idx ON actor_state (shard) WHERE kind = 'agent' AND state->>'status' IN ('preparing', 'starting', 'running')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX actor_state_busy_agents_idx`);
  }
}
