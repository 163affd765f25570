import type { RuntimeSpec } from './host-types';
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
  /** pi's tool allow-list; read-only roles (reviewer, coordinator) get READ_ONLY_TOOLS. */
  tools?: string[];
  /** Session file name; its content is in agent_sessions. */
  sessionFile?: string;
  /** The prompt of the turn in progress (re-sent after a provider failover). */
  currentPrompt?: string;
  /** The id of the last prompt taken (a team resends a prompt it saw no sign of under the same id: taken once). */
  promptId?: string;
  usage: AgentUsage;
  budget: { tokens?: number; costUsd?: number };
  /** The team's budget: this agent stops when the team's summed usage crosses it. */
  teamBudget?: { tokens?: number; costUsd?: number };
  /**
   * Waiting for a start slot on its instance (admission control): the position when it was queued
   * (`get` answers with the live position), and the prompt to send once it has started.
   */
  queue?: { position: number; since: number; prompt?: string; promptId?: string };
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
  /** pi's tools (`--tools`). Default: READ_ONLY_TOOLS for the reviewer and coordinator roles, pi's own otherwise. */
  tools?: string[];
  prompt?: string;
  /** The first prompt's id (see `agent.prompt`): a resend of it under this id is taken once. */
  promptId?: string;
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

/** pi's tools that cannot change anything: what a reviewer or a planning coordinator gets. */
export const READ_ONLY_TOOLS: readonly string[] = ['read', 'grep', 'find', 'ls'];

/** Roles that only read: they never get write, edit or bash. */
export const READ_ONLY_ROLES: ReadonlySet<string> = new Set(['reviewer', 'coordinator']);

/**
 * The tools an agent of `role` gets. A read-only role gets read-only tools whatever was asked
 * (only a subset of READ_ONLY_TOOLS may narrow it further); other roles get what was asked.
 */
export function toolsFor(role: string, asked?: readonly string[]): string[] | undefined {
  if (READ_ONLY_ROLES.has(role)) return asked ? asked.filter((t) => READ_ONLY_TOOLS.includes(t)) : [...READ_ONLY_TOOLS];
  return asked ? [...asked] : undefined;
}
