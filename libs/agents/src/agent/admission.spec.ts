import { Admission, defaultMaxAgents, defaultStartConcurrency } from './admission';

describe('Admission', () => {
  it('admits up to the start concurrency, queues the rest in order, positions only shrink', async () => {
    const seen: Array<[string, number]> = [];
    const a = new Admission({ startConcurrency: 2, maxAgents: 10, onPosition: (agent, p) => seen.push([agent, p]) });
    const order: string[] = [];
    const starts = ['a', 'b', 'c', 'd', 'e'].map((n) => a.acquire(n).then(() => order.push(n)));
    await Promise.resolve();
    expect(a.stats()).toMatchObject({ starting: 2, queued: 3 });
    expect(a.position('e')).toBe(3);
    a.started('a');
    await Promise.resolve();
    expect(a.position('e')).toBe(2);
    a.release('b');
    a.started('c');
    a.started('d');
    a.started('e');
    await Promise.all(starts);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    const e = seen.filter(([n]) => n === 'e').map(([, p]) => p);
    expect(e).toEqual([3, 2, 1]);
    expect(a.stats()).toMatchObject({ live: 4, starting: 0, queued: 0 });
  });

  it('caps live agents: a start waits until one exits; a stopped waiter leaves the line', async () => {
    const a = new Admission({ startConcurrency: 4, maxAgents: 1 });
    expect(a.tryAcquire('a')).toBe(true);
    a.started('a');
    expect(a.tryAcquire('b')).toBe(false);
    let admitted = false;
    void a.acquire('b').then(() => (admitted = true));
    void a.acquire('c');
    a.release('c');
    expect(a.position('c')).toBeUndefined();
    await Promise.resolve();
    expect(admitted).toBe(false);
    a.exited('a');
    await Promise.resolve();
    expect(admitted).toBe(true);
    expect(a.idle()).toBe(false);
  });

  it('defaults from cores and memory', () => {
    expect(defaultStartConcurrency(0)).toBe(1);
    expect(defaultStartConcurrency(8)).toBe(8);
    expect(defaultMaxAgents(8 * 1024 ** 3)).toBe(39);
    expect(defaultMaxAgents(512 * 1024 ** 2)).toBe(1);
  });
});
