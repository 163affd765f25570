import type { EventLog, SessionStore } from '@godel/persistence';
import type { AgentState } from './agent-state';
import type { AgentProcessHost } from './process-host';
import type { AgentRepoDeps } from './agent-repo';

/** What the agent actor needs from its instance: the process host, the event log, sessions, worktrees. */
export interface AgentActorDeps extends AgentRepoDeps {
  host: AgentProcessHost;
  events: EventLog;
  sessions: SessionStore;
  /** Worktrees go to <worktreesRoot>/<team>/<agent> (the manager nests by team). */
  worktreesRoot: string;
  /**
   * GODEL_KEEP_FAILED_WORKTREES: a failed agent's worktree stays (marked `failed`, which the janitor
   * keeps) for inspection instead of being removed. Default true.
   */
  keepFailedWorktrees?: boolean;
  /** Restart intensity of a crashing process before the agent fails (OTP-style). */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** Liveness check that also resumes agents whose actor moved to another instance. */
  heartbeatMs?: number;
  /**
   * Providers as this instance reaches them, at each process start. An instance-local provider (the
   * offline scripted model runs inside each server) gets this instance's address, so an agent that
   * moved after a failover does not call the dead instance's port.
   */
  localizeProviders?: (providers: AgentState['providers']) => AgentState['providers'];
  /** Usage of the team's other agents (committed state), for team budgets. */
  teamUsage?: (team: string, exclude: string) => Promise<{ total: number; costUsd: number }>;
}
