/**
 * Idempotent appends: an event carrying an idempotency key (an outbox effect's id) is stored once,
 * however often and in whichever batches it is appended; events without a key are never merged.
 * Real: PostgreSQL (random schema). Mocked: nothing.
 */
import { useEventLog } from './event-log-kit';

describe('EventLog append with an idempotency key (real PostgreSQL)', () => {
  const kit = useEventLog();

  it('stores a keyed event once, in the same batch or a later one, and answers with its sequence number', async () => {
    const team = 'idem';
    // One batch: the same key twice, and two unkeyed events that look the same.
    const [a, a2, u1, u2, b] = await Promise.all([
      kit.log.append({ type: 'team.started', team, idemKey: 'team/idem@1-0#0', data: { n: 1 } }),
      kit.log.append({ type: 'team.started', team, idemKey: 'team/idem@1-0#0', data: { n: 1 } }),
      kit.log.append({ type: 'note', team, data: { same: true } }),
      kit.log.append({ type: 'note', team, data: { same: true } }),
      kit.log.append({ type: 'task.ready', team, idemKey: 'team/idem@1-0#1', data: { task: 't' } }),
    ]);
    expect(a2).toBe(a);
    expect(new Set([a, u1, u2, b]).size).toBe(4);
    // A later batch: the effect ran again after a crash.
    const again = await kit.log.append({ type: 'team.started', team, idemKey: 'team/idem@1-0#0', data: { n: 1 } });
    const [b2, c] = await Promise.all([
      kit.log.append({ type: 'task.ready', team, idemKey: 'team/idem@1-0#1', data: { task: 't' } }),
      kit.log.append({ type: 'task.running', team, idemKey: 'team/idem@2-0#0', data: { task: 't' } }),
    ]);
    expect(again).toBe(a);
    expect(b2).toBe(b);
    const stored = await kit.log.list({ team });
    expect(stored.map((e) => e.type)).toEqual(['team.started', 'note', 'note', 'task.ready', 'task.running']);
    expect(stored.map((e) => e.seq)).toEqual([a, u1, u2, b, c]);
  }, 15_000);
});
