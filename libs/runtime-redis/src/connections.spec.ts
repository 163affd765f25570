/** Pure behaviour of the reconnect helpers. Real: ioredis' own error classes. Mocked: the client's connection state (an EventEmitter with `status`). */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { isConnectionError, retryAcrossReconnects, whenReady } from './connections';

function fakeClient(status: string): Redis & { status: string } {
  return Object.assign(new EventEmitter(), { status }) as unknown as Redis & { status: string };
}

describe('isConnectionError', () => {
  it('recognises what ioredis rejects with at a cut, not what Redis answers', () => {
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('Reached the max retries per request limit (which is 0).'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
    expect(isConnectionError(new Error('ERR Error running script: wrong number of arguments'))).toBe(false);
    expect(isConnectionError({ code: 'mailbox.full' })).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
  });
});

describe('retryAcrossReconnects', () => {
  it('runs an idempotent command again after a cut rejected it, until it answers', async () => {
    const client = fakeClient('ready');
    let calls = 0;
    const v = await retryAcrossReconnects(client, 'x', 5000, async () => {
      calls++;
      if (calls < 3) throw new Error('Connection is closed.');
      return 'ok';
    });
    expect({ v, calls }).toEqual({ v: 'ok', calls: 3 });
  });

  it('passes other errors through at once', async () => {
    const client = fakeClient('ready');
    let calls = 0;
    const err = await retryAcrossReconnects(client, 'x', 5000, async () => {
      calls++;
      throw Object.assign(new Error('full'), { code: 'mailbox.full' });
    }).catch((e: unknown) => e);
    expect({ code: (err as { code: string }).code, calls }).toEqual({ code: 'mailbox.full', calls: 1 });
  });

  it('gives up with mailbox.unavailable (not_sent) when the client never reconnects, without sending', async () => {
    const client = fakeClient('reconnecting');
    let calls = 0;
    const err = await retryAcrossReconnects(client, 'send', 100, async () => ++calls).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'mailbox.unavailable', retryable: true, details: { outcome: 'not_sent' } });
    expect(calls).toBe(0);
  });

  it('says the outcome is unknown once an attempt may have run', async () => {
    const client = fakeClient('ready');
    const err = await retryAcrossReconnects(client, 'send', 100, async () => {
      client.status = 'reconnecting';
      throw new Error('Connection is closed.');
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'mailbox.unavailable', details: { outcome: 'unknown' } });
  });

  it('shares one ready-wait among many callers', async () => {
    const client = fakeClient('reconnecting');
    const waits = Array.from({ length: 50 }, () => whenReady(client, 5000));
    expect(client.listenerCount('ready')).toBe(1);
    client.status = 'ready';
    client.emit('ready');
    expect(await Promise.all(waits)).toEqual(Array(50).fill(true));
  });
});
