import { agentAddress } from '@godel/agents';
import type { MergeJob } from '../refinery/refinery';
import type { TeamState } from './team-state';

/** One event of the team's log, as the turn decided it (written after commit, once: see effects.ts). */
export interface TeamEvent {
  type: string;
  team: string;
  agent?: string;
  correlationId?: string;
  data: Record<string, unknown>;
  at: number;
}

/** Git work on the user's repository or an agent's worktree; each is safe to run again. */
export type GitAction =
  | { op: 'keep_ref'; repo: string; ref: string; commit: string }
  | { op: 'delete_refs'; repo: string; prefix: string }
  | { op: 'delete_team_refs'; repo: string; team: string }
  | { op: 'reset_worktree'; worktree: string; commit: string; repo?: string }
  /** Commits what a worker left in its worktree (once per effect id), then tells the team `team.work_committed`. */
  | ({ op: 'commit_work'; repo: string; worktree: string; message: string } & WorkRef);

/** Which commit of a task's work is meant: its round and assignment, and why the team asked for it. */
export interface WorkRef {
  task: string;
  round: number;
  assignment: number;
  /** `review`: a worker's turn ended; `unfinished`: the team is ending with the task still running. */
  purpose: 'review' | 'unfinished';
}

/** `team.work_committed`: the answer of a `commit_work` effect (the commit, or why there is none). */
export interface WorkCommitted extends WorkRef {
  commit?: string;
  error?: string;
}

/** What leaves a team turn: run after the state commits, in this order, with deterministic ids. */
export type TeamEffect =
  | { kind: 'tell'; to: string; type: string; payload: unknown }
  | { kind: 'event'; event: TeamEvent }
  | { kind: 'git'; action: GitAction }
  | { kind: 'merge'; job: MergeJob }
  | { kind: 'withdraw_merges'; team: string }
  | { kind: 'reminder'; name: string; delayMs: number }
  | { kind: 'cancel_reminder'; name: string };

/**
 * What a turn may read (never change): the target's tip, diffs, refs, the agents' activity, usage.
 * A worker's worktree is committed by a `commit_work` effect, whose answer is a message.
 */
export interface TeamReads {
  tip(repo: string, branch: string): Promise<string | undefined>;
  diff(repo: string, base: string, head: string): Promise<{ diff: string; truncated: boolean; files: string[] }>;
  sameTree(cwd: string, a: string, b: string): Promise<boolean>;
  refsUnder(repo: string, prefix: string): Promise<string[]>;
  lastActivity(agents: string[]): Promise<Map<string, number>>;
  /** The id of the last prompt each agent took (see `agent.prompt`). */
  promptsTaken(agents: string[]): Promise<Map<string, string>>;
  teamUsage(team: string): Promise<{ total: number; costUsd: number }>;
}

/**
 * One team turn: the state being changed, the turn's time, what it may read, and the effects it
 * decided (in order). The reducer's parts write through it; nothing here touches the world.
 */
export class TeamTurn {
  readonly effects: TeamEffect[] = [];
  /** Refs this turn keeps (not in git until its effects run), so a prune in the same turn counts them. */
  private readonly kept = new Set<string>();
  /** Refs an earlier prune of this turn already counted (still in git until its effects run). */
  private readonly pruned = new Set<string>();

  constructor(
    readonly s: TeamState,
    readonly now: number,
    readonly io: TeamReads,
    /** The team actor's own address (merge jobs report back to it). */
    readonly self: string,
  ) {}

  agent(name: string): string {
    return agentAddress(this.s.team, name);
  }

  event(type: string, data: Record<string, unknown> = {}, agent?: string): void {
    this.effects.push({ kind: 'event', event: { type, team: this.s.team, agent, correlationId: this.s.intentId, data, at: this.now } });
  }

  tellAgent(name: string, type: string, payload: unknown): void {
    this.effects.push({ kind: 'tell', to: this.agent(name), type, payload });
  }

  keepRef(ref: string, commit: string): void {
    this.kept.add(ref);
    this.pruned.delete(ref);
    this.effects.push({ kind: 'git', action: { op: 'keep_ref', repo: this.s.repo, ref, commit } });
  }

  resetWorktree(worktree: string, commit: string): void {
    this.effects.push({ kind: 'git', action: { op: 'reset_worktree', worktree, commit, repo: this.s.repo } });
  }

  /** Deletes the refs under `prefix` (after this turn's earlier effects); returns how many go. */
  async pruneRefs(prefix: string): Promise<number> {
    const existing = await this.io.refsUnder(this.s.repo, prefix).catch(() => [] as string[]);
    const refs = new Set([...existing.filter((r) => !this.pruned.has(r)), ...[...this.kept].filter((r) => r.startsWith(prefix))]);
    for (const r of refs) {
      this.kept.delete(r);
      this.pruned.add(r);
    }
    if (refs.size > 0) this.effects.push({ kind: 'git', action: { op: 'delete_refs', repo: this.s.repo, prefix } });
    return refs.size;
  }

  /**
   * Asks for the commit of a task's work in `worktree` (an effect); the team goes on when
   * `team.work_committed` for the same task, round, assignment and purpose comes back.
   */
  commitWork(worktree: string, message: string, ref: WorkRef): void {
    this.effects.push({ kind: 'git', action: { op: 'commit_work', repo: this.s.repo, worktree, message, ...ref } });
  }

  enqueueMerge(job: MergeJob): void {
    this.effects.push({ kind: 'merge', job });
  }

  /** The target branch's tip now (a turn reads it; a missing target is an error of the turn). */
  async tip(): Promise<string> {
    const sha = await this.io.tip(this.s.repo, `refs/heads/${this.s.target}`);
    if (!sha) throw new Error(`target branch ${this.s.target} is gone from ${this.s.repo}`);
    return sha;
  }
}
