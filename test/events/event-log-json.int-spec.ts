/**
 * EventLog.listJson / latestJson: the JSON text PostgreSQL builds for GET /api/v1/events is the same
 * page list() / latest() give (same items, order, field values: dates to the millisecond, empty
 * strings for absent agent/team/correlation, nested and non-ASCII data), for every filter.
 * Real: PostgreSQL (random schema). Mocked: nothing.
 */
import { EventLog } from '@godel/persistence';
import { createTestEnv, type TestEnv } from '@godel/testing';

describe('EventLog JSON pages (real PostgreSQL)', () => {
  let env: TestEnv;
  let log: EventLog;

  beforeAll(async () => {
    env = await createTestEnv();
    log = new EventLog(env.dataSource);
    const base = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        log.append({
          type: i % 3 === 0 ? 'agent.message' : 'task.ready',
          agent: i % 4 === 0 ? undefined : `agent/t${i % 2}:a${i % 5}`,
          team: i % 7 === 0 ? undefined : `t${i % 2}`,
          correlationId: i % 5 === 0 ? `c-${i}` : undefined,
          data: i % 6 === 0 ? undefined : { i, text: `ünïcødé ✓ "quoted" \\ line\nbreak ${i}`, nested: { list: [1, 2.5, null, true], empty: {} }, big: 2 ** 40 + i },
          at: base + i * 37 + (i % 10) * 0.4,
        }),
      ),
    );
  }, 30_000);

  afterAll(async () => {
    await log?.flush();
    await env?.cleanup();
  });

  const filters = [{}, { limit: 7 }, { after: 10, limit: 20 }, { team: 't1' }, { agent: 'agent/t0:a2' }, { type: 'task.ready', team: 't0', limit: 5 }, { after: 20, upTo: 30 }, { team: 'nobody' }];

  it.each(filters)('listJson(%j) parses to exactly what list() returns', async (f) => {
    const text = await log.listJson(f);
    const parsed = JSON.parse(text) as { items: unknown[] };
    expect(Object.keys(parsed)).toEqual(['items']);
    const objects = await log.list(f);
    expect(parsed.items).toEqual(objects);
    // Field order as list() gives it (what clients printing raw JSON see).
    for (const [i, item] of parsed.items.entries()) expect(Object.keys(item as object)).toEqual(Object.keys(objects[i]));
  });

  it.each([{ limit: 5 }, { team: 't0', limit: 9 }, { agent: 'agent/t1:a3', limit: 100 }, { team: 'nobody', limit: 3 }])('latestJson(%j) parses to exactly what latest() returns', async (f) => {
    const parsed = JSON.parse(await log.latestJson(f)) as { items: unknown[] };
    expect(parsed.items).toEqual(await log.latest(f));
  });

  it('holds a sample with something in every field (the comparisons above are not all empty pages)', async () => {
    const items = (JSON.parse(await log.listJson({ limit: 1000 })) as { items: Array<{ agent: string; team: string; correlationId: string; data: Record<string, unknown> }> }).items;
    expect(items).toHaveLength(60);
    expect(items.some((e) => e.agent === '' && e.team === '' )).toBe(true);
    expect(items.some((e) => e.correlationId !== '' && typeof e.data.text === 'string')).toBe(true);
  });
});
