/**
 * The contract between actor state and the SQL that reads it. `AgentQueries` reads these fields of
 * `actor_state.state` (JSONB) by name; the actor kinds own the full shapes (`AgentState` in
 * libs/agents, `TeamState` in libs/orchestration) and each asserts, at compile time, that its state
 * still has these fields with these types (`agent-state-contract.ts`, `team-state-contract.ts`). A
 * field renamed there fails the typecheck instead of silently answering null here.
 */

/** The agent fields read in SQL: `state->>'status'`, `'team'`, `'repo'`, `'usage'->>'total'`, `'usage'->>'costUsd'`. */
export interface AgentStateProjection {
  status: string;
  team: string;
  repo?: string;
  usage: { total: number; costUsd: number };
}

/** The team fields read in SQL: `state->>'status'` (never `'new'` in lists), `'createdAt'` (ms, newest first). */
export interface TeamStateProjection {
  status: string;
  createdAt?: number;
}

/** Compile-time check: `Full` has every field of `Projection` with a compatible type (use as a type alias). */
export type Projects<Full extends Projection, Projection> = Full;

