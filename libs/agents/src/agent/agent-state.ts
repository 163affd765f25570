import type { RuntimeSpec } from './process-host';
import type { ProviderRef } from './provider-chain';

export type AgentStatus = 'new' | 'preparing' | 'starting' | 'running' | 'idle' | 'stopped' | 'failed';

export interface AgentUsage {
  input: number;
  output: number;
  total: number;
  costUsd: number;
}

/** The durable state of an agent actor (PostgreSQL); its process lives on the hosting instance. */
export interface AgentState {
  status: AgentStatus;
  reason?: string;
  team: string;
  name: string;
  role: string;
  repo?: string;
  worktree?: string;
  branch?: string;
  baseCommit?: string;
  providers: ProviderRef[];
  providerIndex: number;
  /** The coding-agent CLI: pi (default) or a command CLI (claude/codex stream-json). */
  runtime?: RuntimeSpec;
  /** Session file name; its content is in agent_sessions. */
  sessionFile?: string;
  /** The prompt of the turn in progress (re-sent after a provider failover). */
  currentPrompt?: string;
  usage: AgentUsage;
  budget: { tokens?: number; costUsd?: number };
  /** The team's budget: this agent stops when the team's summed usage crosses it. */
  teamBudget?: { tokens?: number; costUsd?: number };
  /** Restart times (ms) in the current intensity window. */
  restarts: number[];
  /** Updates sent to the owner so far. */
  updates?: number;
  correlationId?: string;
  parent?: { agent: string; entry?: string };
  /** The actor told about this agent's life (`team.agent_update`): its team, when a team started it. */
  owner?: string;
}

/** What an agent tells its owner: started, each finished turn (with the final answer), restarts, the end. */
export interface AgentUpdate {
  name: string;
  /** `cleaned_up`: the agent's worktree and branch were removed (asked by `agent.stop` with `cleanup`). */
  event: 'started' | 'turn_completed' | 'restarted' | 'failed' | 'stopped' | 'cleaned_up';
  status: AgentStatus;
  /** The final assistant text of the turn (turn_completed). */
  text?: string;
  reason?: string;
  worktree?: string;
  branch?: string;
  usage: AgentUsage;
  restarts?: number;
  /** Sequence of this agent's updates, so the owner can drop a redelivered one. */
  seq: number;
}

export interface StartAgent {
  repo: string;
  baseRef?: string;
  role?: string;
  providers: ProviderRef[];
  tier?: ProviderRef['tier'];
  runtime?: RuntimeSpec;
  prompt?: string;
  budget?: { tokens?: number; costUsd?: number };
  teamBudget?: { tokens?: number; costUsd?: number };
  correlationId?: string;
  /** Fork: start from this agent's session, cut at `entry` (default: its latest entry). */
  forkOf?: { agent: string; entry?: string };
  /** Actor address told about this agent's life (see AgentUpdate). */
  owner?: string;
}

export function initialAgentState(team: string, name: string): AgentState {
  return {
    status: 'new',
    team,
    name,
    role: 'worker',
    providers: [],
    providerIndex: 0,
    usage: { input: 0, output: 0, total: 0, costUsd: 0 },
    budget: {},
    restarts: [],
  };
}
