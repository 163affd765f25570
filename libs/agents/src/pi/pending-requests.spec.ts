import { PendingRequests } from './pending-requests';

describe('PendingRequests', () => {
  it('settles by id, in any order', async () => {
    const pending = new PendingRequests('t');
    const a = pending.open('get_state', 1_000);
    const b = pending.open('get_state', 1_000);
    expect([a.id, b.id]).toEqual(['t-1', 't-2']);
    expect(pending.settle({ type: 'response', id: 't-2', command: 'get_state', success: true, data: 2 })).toBe(true);
    expect(pending.settle({ type: 'response', id: 't-1', command: 'get_state', success: true, data: 1 })).toBe(true);
    await expect(a.response).resolves.toMatchObject({ data: 1 });
    await expect(b.response).resolves.toMatchObject({ data: 2 });
    expect(pending.size).toBe(0);
  });

  it('gives an id-less answer to the oldest command of that type, and reports strays', async () => {
    const pending = new PendingRequests('t');
    const first = pending.open('bogus', 1_000);
    const second = pending.open('bogus', 1_000);
    expect(pending.settle({ type: 'response', command: 'bogus', success: false, error: 'Unknown command: bogus' })).toBe(true);
    await expect(first.response).rejects.toMatchObject({ code: 'agent.command_failed', details: { command: 'bogus', error: 'Unknown command: bogus' } });
    expect(pending.settle({ type: 'response', command: 'parse', success: false })).toBe(false);
    expect(pending.settle({ type: 'response', id: 'other-1', command: 'bogus', success: true })).toBe(false);
    pending.failAll((command) => new Error(`gone: ${command}`));
    await expect(second.response).rejects.toThrow('gone: bogus');
  });

  it('rejects with a typed timeout at the deadline and ignores the late answer', async () => {
    const pending = new PendingRequests('t');
    const { id, response } = pending.open('get_state', 20);
    await expect(response).rejects.toMatchObject({ code: 'agent.timeout', retryable: true, details: { operation: 'get_state', id, timeoutMs: 20 } });
    expect(pending.settle({ type: 'response', id, command: 'get_state', success: true })).toBe(false);
  });
});
