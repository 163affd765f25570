import type { ShardId } from '../shard';

/**
 * Decides which live member should own a shard. Asked by every lease round for every shard; the
 * runtime acquires the shards it wins and hands over (while idle) those another member wins.
 * Must be deterministic for the same inputs so all members agree without talking to each other.
 * Today's default is rendezvous hashing; capacity- or health-weighted placement (federation)
 * plugs in here through `ActorSystemOptions.placement`.
 */
export interface PlacementStrategy {
  /** Short name for logs and events. */
  readonly name: string;
  /** The member that should own `shard`, among `members` (never empty: includes this instance). */
  ownerOf(shard: ShardId, members: readonly string[]): string | undefined;
}
