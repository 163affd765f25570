/**
 * What every member publishes with its heartbeat (capacity, load, health) plus the federation's
 * draining flag for it: the shared member view placement decides on. All members read the same view
 * from Redis, so a deterministic strategy over it agrees everywhere without talking.
 */
export interface MemberStatus {
  id: string;
  /** Live agent processes this member admits at most (0 = hosts no agents, e.g. an API-only instance). */
  maxAgents?: number;
  /** Agent processes running or starting now. */
  running?: number;
  /** Agent starts waiting for a slot. */
  queued?: number;
  /** Event-loop delay p99 over the last window, ms (perf_hooks monitorEventLoopDelay). */
  lagP99Ms?: number;
  /** Whether the member hosts shards at all (the `runtime` role). */
  hostsShards?: boolean;
  /** Set by an operator (or by the member itself after it missed heartbeats): takes no new work. */
  draining?: { reason: string; at: string };
}

/** Placement thresholds shared by the strategy and the API's choice of a team's shard. */
export interface HealthPolicy {
  /** Above this event-loop lag p99 a member is unhealthy: no new work (default 1000 ms). */
  maxLagMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { maxLagMs: 1000 };

/** Healthy: its event loop keeps up (a member that misses heartbeats is not in the view at all). */
export function isHealthy(m: MemberStatus, policy: HealthPolicy = DEFAULT_HEALTH_POLICY): boolean {
  return !(typeof m.lagP99Ms === 'number' && m.lagP99Ms > policy.maxLagMs);
}

/** Free agent slots (running + queued counted against the maximum); Infinity when not published. */
export function freeSlots(m: MemberStatus): number {
  if (typeof m.maxAgents !== 'number') return Number.POSITIVE_INFINITY;
  return m.maxAgents - (m.running ?? 0) - (m.queued ?? 0);
}

/** May own shards: not draining and healthy (a full member keeps its shards, it just gets no new team). */
export function mayOwnShards(m: MemberStatus, policy?: HealthPolicy): boolean {
  return m.hostsShards !== false && !m.draining && isHealthy(m, policy);
}

/** May receive a new team: may own shards and has at least one free agent slot. */
export function acceptsNewWork(m: MemberStatus, policy?: HealthPolicy): boolean {
  return mayOwnShards(m, policy) && freeSlots(m) > 0;
}
