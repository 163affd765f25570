import { EventLog, openDatabase } from '@godel/persistence';
import { createTestEnv, type TestEnv } from '@godel/testing';
import type { DataSource } from 'typeorm';

/**
 * Readers follow the log by sequence (`seq > cursor`), so a sequence number must never become visible
 * after a higher one: otherwise a reader that already moved past it skips it for good. Two event logs
 * (two instances, two connection pools) append at once while a reader follows; it must see every event.
 */
describe('event log: sequence order = visibility order across instances', () => {
  let env: TestEnv;
  let second: DataSource;
  beforeAll(async () => {
    env = await createTestEnv();
    second = await openDatabase({ url: env.databaseUrl, schema: env.schema });
  });
  afterAll(async () => {
    await second?.destroy();
    await env?.cleanup();
  });

  it('a reader following by sequence misses nothing while two instances append concurrently', async () => {
    const logs = [new EventLog(env.dataSource), new EventLog(second)];
    const PER_LOG = 3000;
    let writing = true;
    const seen = new Set<number>();
    let cursor = 0;
    const reader = (async () => {
      while (writing || cursor < (await logs[0].lastSeq())) {
        const page = await logs[0].list({ team: 'order', after: cursor, limit: 1000 });
        for (const e of page) seen.add(e.seq);
        if (page.length > 0) cursor = page[page.length - 1].seq;
      }
    })();
    await Promise.all(
      logs.map(async (log, i) => {
        for (let n = 0; n < PER_LOG; n += 10) {
          await Promise.all(Array.from({ length: 10 }, (_, k) => log.append({ type: 'order.test', team: 'order', data: { i, n: n + k } })));
        }
      }),
    );
    writing = false;
    await reader;
    const all = await logs[0].list({ team: 'order', limit: 10_000 });
    expect(all).toHaveLength(2 * PER_LOG);
    const missed = all.filter((e) => !seen.has(e.seq)).map((e) => e.seq);
    expect(missed).toEqual([]);
  }, 120_000);
});
