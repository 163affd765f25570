import type { ShardId } from '../shard';
import type { MemberStatus } from './member-status';

/**
 * Decides which live member should own a shard. Asked by every lease round for every shard; the
 * runtime acquires the shards it wins and hands over (while idle) those another member wins.
 * Must be deterministic for the same inputs so all members agree without talking to each other.
 * The default is rendezvous hashing; `HealthAwarePlacement` (federation) also reads the member view
 * (capacity, load, health, draining) and plugs in through `ActorSystemOptions.placement`.
 */
export interface PlacementStrategy {
  /** Short name for logs and events. */
  readonly name: string;
  /**
   * The member that should own `shard`, among `members` (never empty: includes this instance).
   * `view` is what each live member published with its heartbeat, when the membership has it.
   * Undefined means no opinion: a held shard stays, an unowned one goes to its rendezvous winner.
   */
  ownerOf(shard: ShardId, members: readonly string[], view?: ReadonlyMap<string, MemberStatus>): string | undefined;
}
