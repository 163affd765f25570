import { Admission } from './admission';
import { poolKey, poolSizeFor } from './warm-pool-config';

describe('warm pool configuration', () => {
  const t = { repo: '/r', role: 'worker', providers: [{ provider: 'anthropic', model: 'm' }], readRoots: ['/b', '/a'] };

  it('sizes: role@provider over role over the default; no config is no pool', () => {
    expect(poolSizeFor(undefined, t)).toBe(0);
    expect(poolSizeFor({ size: 2 }, t)).toBe(2);
    expect(poolSizeFor({ size: 2, sizes: { worker: 4 } }, t)).toBe(4);
    expect(poolSizeFor({ size: 2, sizes: { worker: 4, 'worker@anthropic': 1 } }, t)).toBe(1);
    expect(poolSizeFor({ size: 2, sizes: { 'worker@openai': 1 } }, t)).toBe(2);
  });

  it('keys: the same kind whatever the order of read roots; another provider, role or repo is another kind', () => {
    expect(poolKey(t)).toBe(poolKey({ ...t, readRoots: ['/a', '/b'] }));
    expect(poolKey(t)).not.toBe(poolKey({ ...t, role: 'reviewer' }));
    expect(poolKey(t)).not.toBe(poolKey({ ...t, repo: '/s' }));
    expect(poolKey(t)).not.toBe(poolKey({ ...t, providers: [{ provider: 'anthropic', model: 'n' }] }));
  });

  it('admission: background starts leave a live place free; a claimed process changes owner', () => {
    const a = new Admission({ startConcurrency: 2, maxAgents: 3 });
    expect(a.spare()).toBe(true);
    expect(a.tryAcquire('pool:1')).toBe(true);
    a.started('pool:1');
    expect(a.spare()).toBe(true);
    expect(a.tryAcquire('b')).toBe(true);
    a.started('b');
    expect(a.spare()).toBe(false); // one place left: for a real start
    expect(a.full()).toBe(false);
    a.transfer('pool:1', 'agent');
    a.exited('pool:1');
    expect(a.stats().live).toBe(2);
    a.exited('agent');
    expect(a.stats().live).toBe(1);
  });
});
