import { KeyedMutex } from './keyed-mutex';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('KeyedMutex', () => {
  it('runs sections of one key one at a time, in call order, and different keys in parallel', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const section = (key: string, name: string) =>
      mutex.run(key, async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        log.push(`start ${name}`);
        await tick();
        await tick();
        log.push(`end ${name}`);
        active--;
        return name;
      });
    const results = await Promise.all([section('a', 'a1'), section('a', 'a2'), section('a', 'a3')]);
    expect(results).toEqual(['a1', 'a2', 'a3']);
    expect(log).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
    expect(maxActive).toBe(1);

    active = 0;
    maxActive = 0;
    await Promise.all([section('x', 'x'), section('y', 'y')]);
    expect(maxActive).toBe(2);
    expect(mutex.busyKeys).toBe(0);
  });

  it('releases the key when a section throws', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run('k', async () => 'next')).resolves.toBe('next');
    expect(mutex.busyKeys).toBe(0);
  });
});
