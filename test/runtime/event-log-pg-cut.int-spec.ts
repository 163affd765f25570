/**
 * The event log with PostgreSQL cut off (issue 15). Real: PostgreSQL reached through a loopback TCP
 * proxy (down = every live connection dropped and new ones refused; cut = live connections
 * dropped). Mocked: nothing. Appends and reads answer a typed, retryable `storage.unavailable`
 * (503 over HTTP) while PostgreSQL cannot be reached, and the log works again once it is back.
 */
import { EventLog } from '@godel/persistence';
import { retryWhile, usePgCutKit } from './pg-cut-kit';

describe('event log: PostgreSQL cut off', () => {
  const kit = usePgCutKit();

  it('appends and reads answer storage.unavailable while down, and work again once it is back', async () => {
    const { proxy, ds } = await kit.connect();
    const log = new EventLog(ds);
    const team = `t-${Date.now()}`;
    const first = await log.append({ type: 'test.one', team });
    expect(first).toBeGreaterThan(0);

    await proxy.down();
    const unavailable = { code: 'storage.unavailable', retryable: true };
    await expect(log.append({ type: 'test.two', team })).rejects.toMatchObject(unavailable);
    await expect(log.list({ team })).rejects.toMatchObject(unavailable);
    await expect(log.latest({ team })).rejects.toMatchObject(unavailable);
    await expect(log.lastSeq()).rejects.toMatchObject(unavailable);
    await expect(log.lastActivity(['agent/x'])).rejects.toMatchObject(unavailable);

    await proxy.up();
    proxy.cut(); // live connections (if any survived) drop once more: the next statements reconnect
    // The pool's clients died with the cut: retry while the error is the typed, retryable one.
    const retry = <T>(f: () => Promise<T>) => retryWhile((err) => (err as { code?: string }).code === 'storage.unavailable', f);
    const second = await retry(() => log.append({ type: 'test.three', team }));
    expect(second).toBeGreaterThan(first);
    const types = (await retry(() => log.list({ team }))).map((e) => e.type);
    expect(types[0]).toBe('test.one');
    expect(types).toContain('test.three');
  });

  it('appendEventually outlasts an outage: the event is stored once, with the time of the call, after PostgreSQL is back', async () => {
    const { proxy, ds } = await kit.connect();
    const log = new EventLog(ds);
    const team = `t-eventually-${Date.now()}`;
    await log.append({ type: 'test.before', team });
    await proxy.down();
    const calledAt = Date.now();
    const pending = log.appendEventually({ type: 'test.during', team }, 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    await proxy.up();
    const seq = await pending;
    expect(seq).toEqual(expect.any(Number));
    const during = (await log.list({ team })).filter((e) => e.type === 'test.during');
    expect(during).toHaveLength(1);
    expect(during[0].seq).toBe(seq);
    expect(Math.abs(Date.parse(during[0].at) - calledAt)).toBeLessThan(1_000);
  });

  it('appendEventually gives up at its deadline (null, never a rejection) and on an error that is not an outage', async () => {
    const { proxy, ds } = await kit.connect();
    const log = new EventLog(ds);
    await proxy.down();
    const startedAt = Date.now();
    await expect(log.appendEventually({ type: 'test.never', team: 't-never' }, 1_000)).resolves.toBeNull();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
    await proxy.up();
    // Data JSON cannot carry (a BigInt): an error for good, not retried until the deadline.
    const refusedAt = Date.now();
    await expect(log.appendEventually({ type: 'test.refused', team: 't-never', data: { n: BigInt(1) } }, 20_000)).resolves.toBeNull();
    expect(Date.now() - refusedAt).toBeLessThan(10_000);
  });

  it('a statement error that is not a connection failure stays what it was (not retryable)', async () => {
    const log = new EventLog(kit.env.dataSource);
    // A limit PostgreSQL refuses (LIMIT must not be negative): a plain query error, not storage.unavailable.
    const err = await log.list({ limit: -1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).not.toBe('storage.unavailable');
  });
});
