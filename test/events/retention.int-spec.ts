/**
 * Retention of the event log and the audit log: rows older than the configured days are deleted,
 * newer ones stay, in batches, and the pass itself is an event. Real: PostgreSQL (a fresh schema with
 * the migrations), the EventLog and AuditLog classes, the server's Retention job. Mocked: nothing;
 * old rows are made old by moving their `at` back with SQL.
 */
import { AuditLog } from '@godel/auth';
import { EventLog, pruneOlderThan } from '@godel/persistence';
import { createTestEnv, type TestEnv } from '@godel/testing';
import { Retention } from '../../apps/godel/src/store/retention';

describe('retention of events and audit rows', () => {
  let env: TestEnv;
  let events: EventLog;
  afterEach(async () => {
    await events?.flush();
    await env?.cleanup();
  });

  it('deletes events and audit rows older than the retention (default 30 days) and keeps the rest', async () => {
    env = await createTestEnv({ shardCount: 1 });
    expect(env.config.retention.days).toBe(30);
    events = new EventLog(env.dataSource);
    const audit = new AuditLog(env.dataSource);
    for (let i = 0; i < 12; i++) await events.append({ type: i < 7 ? 'old.event' : 'new.event', data: { i } });
    await events.flush();
    for (let i = 0; i < 5; i++) await audit.write({ requestId: `r${i}`, keyId: 'k', keyName: 'n', role: 'admin', method: 'POST', route: '/x', path: '/x', target: null, status: i < 3 ? 201 : 202 });
    // 7 events and 3 audit rows are 31 days old, one event just inside the window (29 days)
    await env.dataSource.query(`UPDATE events SET at = now() - interval '31 days' WHERE type = 'old.event'`);
    await env.dataSource.query(`UPDATE events SET at = now() - interval '29 days' WHERE seq = (SELECT max(seq) FROM events)`);
    await env.dataSource.query(`UPDATE audit_log SET at = now() - interval '31 days' WHERE status = 201`);

    const retention = new Retention(env.dataSource, events, env.config.retention);
    expect(await retention.runOnce()).toEqual({ events: 7, audit: 3 });
    await events.flush();
    const left = await events.list({ limit: 100 });
    expect(left.filter((e) => e.type === 'old.event')).toEqual([]);
    expect(left.filter((e) => e.type === 'new.event')).toHaveLength(5);
    expect(left.find((e) => e.type === 'retention.pruned')?.data).toEqual({ days: 30, events: 7, audit: 3 });
    expect((await audit.list({ limit: 100 })).map((a) => a.requestId).sort()).toEqual(['r3', 'r4']);
    // a second pass finds nothing; days = 0 keeps everything
    expect(await pruneOlderThan(env.dataSource, 30)).toEqual({ events: 0, audit: 0 });
    expect(await new Retention(env.dataSource, events, { days: 0, everyMs: 1000 }).runOnce()).toEqual({ events: 0, audit: 0 });
    expect(await pruneOlderThan(env.dataSource, 1, Date.now() + 60 * 86_400_000)).toEqual({ events: 6, audit: 2 });
  }, 60_000);
});
