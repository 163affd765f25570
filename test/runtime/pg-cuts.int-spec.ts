/**
 * PostgreSQL connection cuts and outages at the persistence layer (issue 15). Real: PostgreSQL
 * reached through a loopback TCP proxy (cut = every live connection dropped; down = refused).
 * Mocked: nothing. The session store and the state store answer a typed, retryable
 * `storage.unavailable` while PostgreSQL cannot be reached, and work again once it is back;
 * an idempotent save repeated after an unknown outcome leaves one row.
 */
import { isPgUnavailable, PgStateStore, SessionStore } from '@godel/persistence';
import { retryWhile, usePgCutKit } from './pg-cut-kit';

describe('PostgreSQL cut off', () => {
  const kit = usePgCutKit();

  it('session and state stores: storage.unavailable while down, an idempotent retry after a cut leaves one row', async () => {
    const { proxy, ds } = await kit.connect();
    const sessions = new SessionStore(ds);
    const states = new PgStateStore(ds);
    const session = { agent: 'agent/t:w1', team: 't', fileName: 's.jsonl', content: 'one', parentAgent: null, forkedFromEntry: null, baseCommit: null };
    await sessions.save(session);

    await proxy.down();
    await expect(sessions.save({ ...session, content: 'two' })).rejects.toMatchObject({ code: 'storage.unavailable', retryable: true });
    await expect(sessions.load(session.agent)).rejects.toMatchObject({ code: 'storage.unavailable' });
    await expect(states.load(['counter/x'])).rejects.toMatchObject({ code: 'storage.unavailable' });

    await proxy.up();
    // The pool's clients died with the cut: the next statements reconnect (retry until they do).
    const retry = <T>(f: () => Promise<T>) => retryWhile((err) => isPgUnavailable(err) || (err as { code?: string }).code === 'storage.unavailable', f);
    await retry(() => sessions.save({ ...session, content: 'two' }));
    proxy.cut();
    await retry(() => sessions.save({ ...session, content: 'two' }));
    expect((await retry(() => sessions.load(session.agent)))?.content).toBe('two');
    expect(await kit.env.dataSource.query(`SELECT count(*)::int AS n FROM agent_sessions WHERE agent = $1`, [session.agent])).toEqual([{ n: 1 }]);
  });

  it('classifies connection-level failures only', () => {
    expect(isPgUnavailable(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isPgUnavailable(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe(true);
    expect(isPgUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isPgUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
    expect(isPgUnavailable(Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }))).toBe(false);
  });
});
