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

  it("keeps actors' state writes HOT: an update that leaves an agent's status alone touches no index", async () => {
    // An index naming `state` (even only in its predicate) made every actor's state write non-HOT
    // (0 % instead of ~95 % in bench:actors); the generated status column changes only with the status.
    await env.dataSource.query(`INSERT INTO actor_state (id, kind, shard, epoch, version, last_seq, state) VALUES ('agent/hot:w', 'agent', 5, 1, 1, '0-0', '{"status":"idle","n":0}')`);
    const runner = env.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      for (let n = 1; n <= 3; n++) await runner.query(`UPDATE actor_state SET state = $1, version = $2 WHERE id = 'agent/hot:w'`, [{ status: 'idle', n }, n + 1]);
      await runner.query(`UPDATE actor_state SET state = $1 WHERE id = 'agent/hot:w'`, [{ status: 'running', n: 4 }]);
      const [stats] = (await runner.query(`SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = 'actor_state'::regclass`)) as Array<{ n_tup_upd: string; n_tup_hot_upd: string }>;
      await runner.commitTransaction();
      expect(Number(stats.n_tup_upd)).toBe(4);
      expect(Number(stats.n_tup_hot_upd)).toBe(3); // the status change is the one that updates the index
    } finally {
      await runner.release();
    }
    expect(await shardHasBusyAgent(env.dataSource, 5)).toBe(true);
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
