import { EventHub } from './event-hub';

describe('EventHub', () => {
  it('fans out to listeners, isolating a throwing one', () => {
    const hub = new EventHub<number>();
    const seen: number[] = [];
    hub.subscribe(() => {
      throw new Error('listener bug');
    });
    const off = hub.subscribe((n) => seen.push(n));
    hub.emit(1);
    off();
    hub.emit(2);
    expect(seen).toEqual([1]);
  });

  it('buffers for iterators from their creation and ends them on close after draining', async () => {
    const hub = new EventHub<number>();
    hub.emit(0);
    const it = hub.iterate();
    hub.emit(1);
    hub.emit(2);
    hub.close();
    const got: number[] = [];
    for await (const n of it) got.push(n);
    expect(got).toEqual([1, 2]);
    const late = hub.iterate();
    await expect(late.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('wakes a waiting iterator and unsubscribes on return()', async () => {
    const hub = new EventHub<string>();
    const it = hub.iterate();
    const next = it.next();
    hub.emit('a');
    await expect(next).resolves.toEqual({ done: false, value: 'a' });
    await it.return?.();
    hub.emit('b');
    await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
    let closed = 0;
    hub.onClose(() => closed++);
    hub.close();
    hub.onClose(() => closed++);
    expect(closed).toBe(2);
  });
});
