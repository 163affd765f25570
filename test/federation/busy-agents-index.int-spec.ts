/**
 * The question each instance asks every 300 ms (which owned shards have an agent mid-turn) is
 * answered from a partial index of the busy agents, not by reading every agent's state. Real:
 * PostgreSQL with the migrated schema. Mocked: nothing.
 */
import { BUSY_SHARDS_SQL, busyAgentShards, SHARD_BUSY_SQL, shardHasBusyAgent } from '@godel/persistence';
import { createTestEnv, type TestEnv } from '@godel/testing';

describe('busy agents by shard (federation hand-over check)', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv({ shardCount: 64 });
    // 3,000 agents, of which a few are mid-turn (shards 3, 7 and 40), and teams whose status is "running" too.
    await env.dataSource.query(
      `INSERT INTO actor_state (id, kind, shard, epoch, version, last_seq, state)
       SELECT 'agent/t:w' || i, 'agent', i % 64, 1, 1, '0-0',
              jsonb_build_object('status', CASE WHEN i = 3 THEN 'running' WHEN i = 7 THEN 'starting' WHEN i = 40 THEN 'preparing' ELSE 'stopped' END, 'pad', repeat('x', 2000))
       FROM generate_series(0, 2999) i`,
    );
    await env.dataSource.query(`INSERT INTO actor_state (id, kind, shard, epoch, version, last_seq, state) SELECT 'team/t' || i, 'team', i % 64, 1, 1, '0-0', '{"status":"running"}' FROM generate_series(0, 99) i`);
    await env.dataSource.query(`ANALYZE actor_state`);
  }, 60_000);
  afterAll(async () => {
    await env?.cleanup();
  });

  it('answers from the committed states: only agents that are preparing, starting or running count', async () => {
    const all = Array.from({ length: 64 }, (_, i) => i);
    expect([...(await busyAgentShards(env.dataSource, all))].sort((a, b) => a - b)).toEqual([3, 7, 40]);
    expect([...(await busyAgentShards(env.dataSource, [1, 2, 7]))]).toEqual([7]);
    expect(await shardHasBusyAgent(env.dataSource, 40)).toBe(true);
    expect(await shardHasBusyAgent(env.dataSource, 41)).toBe(false); // a team "running" there is not an agent
  });

  it.each([
    ['the shards of an instance', BUSY_SHARDS_SQL, [Array.from({ length: 64 }, (_, i) => i)]],
    ['one shard before a hand-over', SHARD_BUSY_SQL, [40]],
  ])('%s: the plan reads the partial index actor_state_busy_agents_idx', async (_what, sql, params) => {
    // With sequential scans off, a query whose predicate is not the index's own would use the plain
    // shard index instead: the check fails when the two drift apart.
    const runner = env.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL enable_seqscan = off');
      const plan = (await runner.query(`EXPLAIN ${sql}`, params)) as Array<{ 'QUERY PLAN': string }>;
      await runner.rollbackTransaction();
      expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('actor_state_busy_agents_idx');
    } finally {
      await runner.release();
    }
  });
});
