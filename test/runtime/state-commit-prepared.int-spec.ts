/**
 * The state store's per-turn statements run as named prepared statements (issue 13: half the
 * backend CPU per group commit), with the fencing and results of the plain statements.
 * Real: PostgreSQL, one pooled connection (so the session that prepared them can be asked).
 * Mocked: nothing.
 */
import { createTestEnv, type TestEnv } from '@godel/testing';
import { openDatabase, PgStateStore } from '@godel/persistence';
import type { StateWrite } from '@godel/actors';
import type { DataSource } from 'typeorm';

describe('PgStateStore prepared statements (real PostgreSQL)', () => {
  let env: TestEnv;
  let ds: DataSource;
  beforeAll(async () => {
    env = await createTestEnv();
    ds = await openDatabase({ url: env.databaseUrl, schema: env.schema, poolSize: 1, migrate: false });
  });
  afterAll(async () => {
    await ds.destroy();
    await env.cleanup();
  });

  const write = (id: string, epoch: number, version: number, n: number): StateWrite => ({
    id,
    kind: 'counter',
    shard: 3,
    epoch,
    version,
    lastSeq: `${version}-0`,
    state: { n },
    outbox: [],
  });

  it('commits and loads through prepared statements, and still refuses a stale epoch', async () => {
    const store = new PgStateStore(ds);
    await store.fence(3, 2, 'me');
    expect(await store.commit([write('counter/p1', 2, 1, 1), write('counter/p2', 2, 1, 5)])).toEqual(new Set());
    // the same statements again on the same connection: bound and executed, not parsed again
    expect(await store.commit([write('counter/p1', 2, 2, 2)])).toEqual(new Set());
    const loaded = await store.load(['counter/p1', 'counter/p2', 'counter/none']);
    expect([...loaded.keys()].sort()).toEqual(['counter/p1', 'counter/p2']);
    expect(loaded.get('counter/p1')).toMatchObject({ version: 2, lastSeq: '2-0', state: { n: 2 }, epoch: 2, shard: 3 });

    // a zombie of epoch 1 is refused by the prepared commit as by the plain one
    expect(await store.commit([write('counter/p1', 1, 3, 99)])).toEqual(new Set(['counter/p1']));
    expect((await store.load(['counter/p1'])).get('counter/p1')?.state).toEqual({ n: 2 });

    const prepared = (await ds.query(`SELECT name FROM pg_prepared_statements ORDER BY name`)) as Array<{ name: string }>;
    expect(prepared.map((r) => r.name)).toEqual(expect.arrayContaining(['godel_state_commit', 'godel_state_load']));
  });
});
