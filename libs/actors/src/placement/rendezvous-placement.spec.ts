import { rendezvousOwner } from '../shard';
import type { PlacementStrategy } from './placement-strategy';
import { RendezvousPlacement } from './rendezvous-placement';

describe('RendezvousPlacement', () => {
  it('is the default strategy and agrees with rendezvousOwner for every shard', () => {
    const p: PlacementStrategy = new RendezvousPlacement();
    const members = ['i-a', 'i-b', 'i-c'];
    for (let shard = 0; shard < 64; shard++) expect(p.ownerOf(shard, members)).toBe(rendezvousOwner(shard, members));
    expect(p.ownerOf(3, [])).toBeUndefined();
    expect(p.name).toBe('rendezvous');
  });
});
