import { rendezvousOwner } from '../shard';
import { HealthAwarePlacement } from './health-aware-placement';
import { acceptsNewWork, freeSlots, type MemberStatus } from './member-status';

const view = (...ms: MemberStatus[]) => new Map(ms.map((m) => [m.id, m]));
const members = ['i-a', 'i-b', 'i-c'];

describe('HealthAwarePlacement', () => {
  const p = new HealthAwarePlacement({ maxLagMs: 500 });

  it('is rendezvous hashing when every member is fine (or nothing was published)', () => {
    const v = view({ id: 'i-a', maxAgents: 4, running: 4 }, { id: 'i-b', lagP99Ms: 20 }, { id: 'i-c' });
    for (let shard = 0; shard < 64; shard++) {
      expect(p.ownerOf(shard, members, v)).toBe(rendezvousOwner(shard, members));
      expect(p.ownerOf(shard, members)).toBe(rendezvousOwner(shard, members));
    }
  });

  it('gives a draining or lagging member no shard, and moves only the shards it had', () => {
    const v = view({ id: 'i-a', draining: { reason: 'operator', at: 'now' } }, { id: 'i-b', lagP99Ms: 900 }, { id: 'i-c' });
    const owners = Array.from({ length: 64 }, (_, s) => p.ownerOf(s, members, v));
    expect(new Set(owners)).toEqual(new Set(['i-c']));
    const onlyA = view({ id: 'i-a', draining: { reason: 'operator', at: 'now' } }, { id: 'i-b' }, { id: 'i-c' });
    for (let shard = 0; shard < 64; shard++) {
      const before = rendezvousOwner(shard, members);
      const after = p.ownerOf(shard, members, onlyA);
      expect(after).not.toBe('i-a');
      if (before !== 'i-a') expect(after).toBe(before);
    }
  });

  it('has no opinion when no member qualifies (shards stay put; the rounds still take unowned ones)', () => {
    const v = view({ id: 'i-a', draining: { reason: 'x', at: 'now' } }, { id: 'i-b', draining: { reason: 'x', at: 'now' } });
    expect(p.eligible(['i-a', 'i-b'], v)).toEqual([]);
    expect(p.ownerOf(1, ['i-a', 'i-b'], v)).toBeUndefined();
  });

  it('never chooses a draining member while another may own shards, even when none is healthy', () => {
    const lagging = view({ id: 'i-a', draining: { reason: 'operator', at: 'now' } }, { id: 'i-b', lagP99Ms: 5000 }, { id: 'i-c', lagP99Ms: 2000, hostsShards: false });
    expect(p.eligible(members, lagging)).toEqual([]);
    for (let shard = 0; shard < 64; shard++) expect(p.ownerOf(shard, members, lagging)).toBe('i-b');
    // Nobody drains and nobody is healthy: no opinion (nothing moves because every member lags).
    const allLag = view({ id: 'i-a', lagP99Ms: 5000 }, { id: 'i-b', lagP99Ms: 5000 }, { id: 'i-c', lagP99Ms: 5000 });
    expect(p.ownerOf(3, members, allLag)).toBeUndefined();
  });

  it('counts room: running and queued against the maximum', () => {
    expect(freeSlots({ id: 'x', maxAgents: 4, running: 3, queued: 1 })).toBe(0);
    expect(acceptsNewWork({ id: 'x', maxAgents: 4, running: 3 })).toBe(true);
    expect(acceptsNewWork({ id: 'x', maxAgents: 4, running: 4 })).toBe(false);
    expect(acceptsNewWork({ id: 'x', maxAgents: 4, draining: { reason: 'r', at: 'now' } })).toBe(false);
    expect(acceptsNewWork({ id: 'x', hostsShards: false })).toBe(false);
    expect(acceptsNewWork({ id: 'x', lagP99Ms: 5000 })).toBe(false);
  });
});
