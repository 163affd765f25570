import { rendezvousOwner, type ShardId } from '../shard';
import type { PlacementStrategy } from './placement-strategy';

/** Highest-random-weight hashing: a joining member takes only the shards it wins, ~1/N of them. */
export class RendezvousPlacement implements PlacementStrategy {
  readonly name = 'rendezvous';

  ownerOf(shard: ShardId, members: readonly string[]): string | undefined {
    return rendezvousOwner(shard, members);
  }
}
