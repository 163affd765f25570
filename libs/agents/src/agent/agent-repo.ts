import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WorktreeManager, type AgentRepos } from '@godel/workspace';
import type { AgentState } from './agent-state';

/**
 * Repositories by URL for the agent actor (issue 12), kept out of agent-actor.ts: the worktree
 * manager of a repository, the worktree on this instance after a takeover, the push after a turn.
 * Without `repos` (or for a path repository) everything behaves as in single-host mode.
 */
export interface AgentRepoDeps {
  /** This instance's mirrors of URL repositories; absent: URL repositories are refused. */
  repos?: AgentRepos;
  worktreesRoot: string;
}

const SHARED_DIRS = ['node_modules', '.venv', 'vendor'];

/** The worktree manager of `repo` (for a URL, over this instance's mirror). */
export function worktreesOf(deps: AgentRepoDeps, repo: string, sharedDirs: string[] = SHARED_DIRS): Promise<WorktreeManager> {
  if (deps.repos) return deps.repos.manager(repo);
  return Promise.resolve(new WorktreeManager({ repoPath: repo, worktreesRoot: deps.worktreesRoot, sharedDirs }));
}

export function isUrlRepo(deps: AgentRepoDeps, repo: string | undefined): repo is string {
  return !!repo && !!deps.repos?.isRemote(repo);
}

/**
 * A URL repository's worktree on this instance: the one here, else rebuilt from the work the agent
 * pushed after its last turn (another instance's, before a takeover), else a fresh one at `baseRef`.
 * Sets `s.worktree`, `s.branch`, `s.baseCommit`; returns whether it existed here already.
 */
export async function localWorktree(deps: AgentRepoDeps, s: AgentState, baseRef: string): Promise<{ from: 'local' | 'remote' | 'fresh' }> {
  const wt = await deps.repos!.ensureWorktree({ repo: s.repo!, team: s.team, agent: s.name, baseRef });
  s.worktree = wt.path;
  s.branch = wt.branch;
  s.baseCommit = wt.baseCommit || s.baseCommit;
  return { from: wt.from };
}

/** After a turn on a URL repository: the agent's work to `refs/godel/work/<team>/<agent>`. A failed push is an event, the turn stands. */
export async function pushTurnWork(deps: AgentRepoDeps, s: AgentState, record: (type: string, data: Record<string, unknown>) => void): Promise<void> {
  if (!isUrlRepo(deps, s.repo) || !s.worktree) return;
  try {
    const pushed = await deps.repos!.pushWork({ repo: s.repo, team: s.team, agent: s.name, worktree: s.worktree, baseCommit: s.baseCommit ?? '' });
    if (pushed) record('agent.work_pushed', { ref: pushed.ref, snapshot: pushed.snapshot, head: pushed.head });
  } catch (err) {
    record('agent.push_failed', { code: (err as { code?: string }).code, error: (err as Error).message });
  }
}

/**
 * The agent's worktree on this instance: for a URL repository `<worktrees>/<team>/<agent>` here
 * when it exists (a path another host reported is never touched), else undefined; for a path, as stored.
 */
export function worktreeHere(deps: AgentRepoDeps, s: AgentState): string | undefined {
  if (!isUrlRepo(deps, s.repo)) return s.worktree;
  const here = join(deps.worktreesRoot, s.team, s.name);
  return existsSync(here) ? here : undefined;
}
