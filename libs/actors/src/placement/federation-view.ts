/**
 * The federation as `GET /api/v1/federation` answers it: one JSON shape shared by the server
 * (apps/godel FederationService) and its clients (the CLI's `godel federation status|drain`), so the
 * two cannot drift apart. Plain data, no behaviour.
 */
export interface MemberView {
  id: string;
  self: boolean;
  /** In the membership set (heartbeating); false for a lease holder whose heartbeat lapsed. */
  live: boolean;
  maxAgents: number | null;
  running: number;
  queued: number;
  freeSlots: number | null;
  lagP99Ms: number | null;
  healthy: boolean;
  draining: { reason: string; at: string } | null;
  acceptsNewWork: boolean;
  shards: number[];
  teams: string[];
}

export interface FederationView {
  self: string;
  shardCount: number;
  placement: string;
  maxLagMs: number;
  members: MemberView[];
  unowned: number[];
  /** No member may take a new team: new intents are answered 503. */
  full: boolean;
}
