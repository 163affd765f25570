import type { ProviderRef } from '@godel/agents';
import type { WorkflowTask } from '../workflow-template';

export type TaskStatus = 'pending' | 'ready' | 'running' | 'in_review' | 'merging' | 'done' | 'failed' | 'cancelled';
export const TERMINAL: ReadonlySet<TaskStatus> = new Set(['done', 'failed', 'cancelled']);

export interface TaskState extends WorkflowTask {
  status: TaskStatus;
  reason?: string;
  /** The worker (agent name) holding the task. */
  worker?: string;
  /** Workers that took this task (a reassignment after a worker is lost adds one). */
  assignments: number;
  /** Worker rounds: 1 for the task, +1 per requested change, conflict or red check. */
  round: number;
  /** Review rounds so far. */
  reviews: number;
  reviewReasks: number;
  mergeAttempt: number;
  conflicts: number;
  verifyFailures: number;
  /** Target tip the worker started from, its latest commit, and the merged commit. */
  base?: string;
  commit?: string;
  merged?: string;
  noChanges?: boolean;
  /** The worker was told once that its turn left no change (a second empty turn fails the task). */
  nudged?: boolean;
  /** A commit of the worker's worktree was asked for (`commit_work`) and its answer is awaited. */
  committing?: { round: number; assignment: number; purpose: 'review' | 'unfinished' };
  /** The task makes a red baseline green (planned for it). */
  fixesBaseline?: boolean;
  startedAt?: number;
  finishedAt?: number;
}

export type Role = 'coordinator' | 'worker' | 'reviewer';

export interface MemberState {
  name: string;
  role: Role;
  /** The agent's last reported status. */
  status: string;
  task?: string;
  worktree?: string;
  /** Highest AgentUpdate.seq handled (redelivered updates are dropped). */
  lastSeq: number;
  /**
   * When it was last given work (prompt), for stuck detection; set until its turn completes. While
   * set the team awaits this member, whatever status an update sent before the prompt reached it says.
   */
  busySince?: number;
  /** Prompts given so far (the next prompt's id is `<team>/<member>/<prompts + 1>`). */
  prompts?: number;
  /** The prompt awaited (until its turn completes): resent under its id while the agent shows no sign of it. */
  prompt?: { id: string; text: string; at: number; resent: number; resentAt?: number };
  restarts: number;
  /** Lost (failed / stopped): never given work again. */
  retired?: boolean;
}

/** What happened to an approved commit: merged, or the reason it was not. No commit goes unreported. */
export interface LedgerEntry {
  task: string;
  commit: string;
  outcome: 'merged' | 'conflict' | 'red' | 'failed';
  merged?: string;
  /** Commits the merge added to the target (a worker may commit several times). */
  commits?: number;
  reason?: string;
  at: number;
}

export interface TeamSettings {
  /** Workers running at once. */
  concurrency: number;
  maxReviewRounds: number;
  /** Workers a task may go through (a lost worker hands its task to a fresh one). */
  maxAssignments: number;
  maxConflicts: number;
  maxVerifyFailures: number;
  /** A busy agent with no event for this long is restarted on its session. */
  stuckMs: number;
  /** A prompt the agent shows no sign of (no event) for this long is resent under its id (3 times at most). */
  repromptMs: number;
  monitorMs: number;
  verifyTimeoutMs: number;
  maxTasks: number;
  /** A red baseline does not have to be fixed by the team (`--allow-red-base`). */
  allowRedBase: boolean;
  /** Failed work is kept on a branch (`godel/<team>/failed/<task>`) when the team ends. */
  keepFailed: boolean;
}

export const DEFAULT_SETTINGS: TeamSettings = {
  concurrency: 3,
  maxReviewRounds: 3,
  maxAssignments: 2,
  maxConflicts: 3,
  maxVerifyFailures: 3,
  stuckMs: 180_000,
  repromptMs: 20_000,
  monitorMs: 5_000,
  verifyTimeoutMs: 600_000,
  maxTasks: 20,
  allowRedBase: false,
  keepFailed: true,
};

/** The target's verification before the team's first change. */
export interface BaselineState {
  status: 'running' | 'green' | 'red';
  code?: number | null;
  output?: string;
  failures?: string[];
  ms?: number;
  /** A fix task was merged: the target is expected green again, failures are no longer excused. */
  fixed?: boolean;
}

/** What the team's end removed and kept in the user's repository. */
export interface CleanupState {
  /** Members whose worktree removal has not been confirmed yet. */
  pending: string[];
  removed: Array<{ agent: string; worktree?: string; branch?: string }>;
  kept: Array<{ task: string; branch: string; worktree?: string; reason: string }>;
  attemptRefsPruned: number;
  done: boolean;
}

export type TeamStatus = 'new' | 'planning' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TeamState {
  status: TeamStatus;
  reason?: string;
  team: string;
  intent: string;
  /** Correlation id of every event of this intent. */
  intentId: string;
  repo: string;
  target: string;
  verify?: string;
  workflow?: string;
  budget?: { tokens?: number; costUsd?: number };
  providers: ProviderRef[];
  settings: TeamSettings;
  /** Target tip when the team started (the whole intent's diff starts here). */
  startCommit?: string;
  baseline?: BaselineState;
  /** The coordinator has been given its planning prompt. */
  planPrompted?: boolean;
  cleanup?: CleanupState;
  /** The team is ending (status, reason) once the commits of its running tasks' work are back. */
  finishing?: { status: 'succeeded' | 'failed' | 'cancelled'; reason?: string; pending: string[] };
  tasks: Record<string, TaskState>;
  order: string[];
  members: Record<string, MemberState>;
  planAttempts: number;
  reviewQueue: string[];
  reviewing?: string;
  workerSeq: number;
  reviewerSeq: number;
  /** Coordinators replaced while planning (the first is `coordinator`, a replacement `coordinator-2`). */
  coordinatorSeq?: number;
  ledger: LedgerEntry[];
  usage?: { total: number; costUsd: number };
  createdAt?: number;
  finishedAt?: number;
}

/** `team.start`: everything a team needs; validated by the intent service before it is sent. */
export interface StartTeam {
  intent: string;
  intentId: string;
  repo: string;
  target: string;
  verify?: string;
  workflow?: { name: string; tasks: WorkflowTask[] };
  budget?: { tokens?: number; costUsd?: number };
  providers: ProviderRef[];
  settings?: Partial<TeamSettings>;
}

export function initialTeamState(team: string): TeamState {
  return {
    status: 'new',
    team,
    intent: '',
    intentId: '',
    repo: '',
    target: '',
    providers: [],
    settings: DEFAULT_SETTINGS,
    tasks: {},
    order: [],
    members: {},
    planAttempts: 0,
    reviewQueue: [],
    workerSeq: 0,
    reviewerSeq: 0,
    ledger: [],
  };
}

/** The team's coordinator: the one not retired (a replacement after a loss), else the last one. */
export function coordinatorOf(s: TeamState): MemberState | undefined {
  const all = Object.values(s.members).filter((m) => m.role === 'coordinator');
  return all.find((m) => !m.retired) ?? all[all.length - 1];
}
