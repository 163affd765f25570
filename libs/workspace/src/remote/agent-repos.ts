import { WorkspaceError } from '../errors/workspace-error';
import { KeyedMutex } from '../keyed-mutex';
import { WorktreeManager } from '../worktree-manager';
import { pushAgentWork, restoreAgentWorktree, type PushedWork, type RestoredWorktree } from './agent-work';
import type { RepoMirrors } from './repo-mirror';
import { looksLikeUrl } from './repo-source';

const SHARED_DIRS = ['node_modules', '.venv', 'vendor'];

/** One rebuild of an agent's worktree at a time in this process (the agent and its team may both ask). */
const worktreeLocks = new KeyedMutex();

/**
 * An instance's access to agents' repositories, path or URL alike: the worktree manager of a
 * repository (for a URL, over this instance's mirror), the agent's worktree here (for a URL,
 * rebuilt from its pushed work after a takeover) and, after each turn, the push of its work.
 */
export class AgentRepos {
  constructor(private readonly o: { mirrors?: RepoMirrors; worktreesRoot: string; sharedDirs?: string[] }) {}

  isRemote(repo: string): boolean {
    return looksLikeUrl(repo);
  }

  /** The worktree manager of `repo`; for a URL, over the mirror (created, not fetched). */
  async manager(repo: string): Promise<WorktreeManager> {
    const sharedDirs = this.o.sharedDirs ?? SHARED_DIRS;
    if (!this.isRemote(repo)) return new WorktreeManager({ repoPath: repo, worktreesRoot: this.o.worktreesRoot, sharedDirs });
    const mirror = await this.mirrors().ensure(repo, { fetch: false });
    return new WorktreeManager({ repoPath: mirror, worktreesRoot: this.o.worktreesRoot, sharedDirs, allowBare: true });
  }

  /** The agent's worktree of a URL repository on this instance (see restoreAgentWorktree). */
  ensureWorktree(r: { repo: string; team: string; agent: string; baseRef: string }): Promise<RestoredWorktree> {
    return worktreeLocks.run(`${this.o.worktreesRoot}\0${r.team}\0${r.agent}`, () => restoreAgentWorktree({ mirrors: this.mirrors(), url: r.repo, worktreesRoot: this.o.worktreesRoot, team: r.team, agent: r.agent, baseRef: r.baseRef, sharedDirs: this.o.sharedDirs ?? SHARED_DIRS }));
  }

  /** After a turn: the agent's work to the remote (URL repositories only; undefined for a path). */
  async pushWork(r: { repo: string; team: string; agent: string; worktree: string; baseCommit: string }): Promise<PushedWork | undefined> {
    if (!this.isRemote(r.repo)) return undefined;
    return pushAgentWork({ mirrors: this.mirrors(), url: r.repo, worktree: r.worktree, team: r.team, agent: r.agent, baseCommit: r.baseCommit });
  }

  private mirrors(): RepoMirrors {
    if (!this.o.mirrors) throw new WorkspaceError('workspace.bad_url', 'this instance has no repository mirrors configured: URL repositories are not available here', {});
    return this.o.mirrors;
  }
}
