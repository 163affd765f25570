import { rendezvousOwner, type ShardId } from '../shard';
import { DEFAULT_HEALTH_POLICY, mayOwnShards, type HealthPolicy, type MemberStatus } from './member-status';
import type { PlacementStrategy } from './placement-strategy';

/**
 * Rendezvous hashing over the members that may own shards: a draining or unhealthy member wins no
 * shard, so its shards go (while idle) to the others, and it gets them back once it is healthy
 * and undrained. Capacity does not move shards (a full member keeps its teams); it steers new
 * teams instead — the API picks a new team's shard among those owned by members with room
 * (docs/adr/0008).
 *
 * When no member is healthy (a loaded host lags everywhere) but some member drains, the shards go
 * to the members that do not drain, healthy or not: a draining member is never chosen while another
 * may own shards (a drain must not stall on, or bounce shards back because of, the others' lag).
 * When nothing qualifies even so (every member draining), there is no opinion: held shards stay
 * and unowned ones go to their rendezvous winner, so work already in the federation is never
 * orphaned (new intents get 503 then).
 */
export class HealthAwarePlacement implements PlacementStrategy {
  readonly name = 'health-aware';

  constructor(readonly policy: HealthPolicy = DEFAULT_HEALTH_POLICY) {}

  /** The members that may own shards under this view. */
  eligible(members: readonly string[], view?: ReadonlyMap<string, MemberStatus>): string[] {
    if (!view) return [...members];
    return members.filter((m) => {
      const s = view.get(m);
      return !s || mayOwnShards(s, this.policy);
    });
  }

  /** With no healthy member: the shard-hosting members that do not drain, when some member drains (else none: nothing must move). */
  notDraining(members: readonly string[], view?: ReadonlyMap<string, MemberStatus>): string[] {
    if (!view || !members.some((m) => view.get(m)?.draining)) return [];
    return members.filter((m) => {
      const s = view.get(m);
      return !s || (!s.draining && s.hostsShards !== false);
    });
  }

  ownerOf(shard: ShardId, members: readonly string[], view?: ReadonlyMap<string, MemberStatus>): string | undefined {
    const ok = this.eligible(members, view);
    return rendezvousOwner(shard, ok.length > 0 ? ok : this.notDraining(members, view));
  }
}
