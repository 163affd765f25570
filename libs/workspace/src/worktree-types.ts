import type { CleanupPolicy, KeepReason, RemoveReason } from './cleanup/cleanup-policy';
import type { GitRunner } from './git/git-runner';
import type { LockRetryPolicy } from './git/lock-retry';
import type { WorktreeMetadata } from './worktree-metadata';

/** Inputs and outputs of WorktreeManager. */

export interface WorktreeManagerOptions {
  /** The main repository (any folder inside its main working tree). */
  repoPath: string;
  /** Worktrees go to `<worktreesRoot>/<team>/<agent>`; best outside the repository. */
  worktreesRoot: string;
  /** Dependency folders of the main tree to symlink into each worktree (`node_modules`, `.venv`, `vendor`). */
  sharedDirs?: string[];
  /** Refuse `create` while the main working tree has uncommitted changes to tracked files. Default true. */
  requireCleanBase?: boolean;
  git?: GitRunner;
  lockRetry?: Partial<LockRetryPolicy>;
  /** Epoch ms; default Date.now. Stamps `createdAt`/`updatedAt`. */
  clock?: () => number;
  /** Accept a bare repository (an instance's mirror of a repository URL); default false. */
  allowBare?: boolean;
}

export interface CreateWorktreeRequest {
  team: string;
  agent: string;
  /** Branch, tag or commit the worktree starts from; resolved to a commit once. */
  baseRef: string;
  /**
   * Where the branch starts when it is not the base (a takeover rebuilding a worktree from its
   * pushed tip); the metadata keeps `baseRef`'s commit as the base.
   */
  startAt?: string;
  /**
   * The branch may exist already when it points exactly at the start commit (it holds no work):
   * it is used instead of refused. An agent's start sets it (its branch name is its address, and
   * a start retried after a half-done create or claim finds the branch that attempt made).
   */
  adoptBranchAtStart?: boolean;
}

export interface CreatedWorktree {
  path: string;
  /** `godel/<team>/<agent>` */
  branch: string;
  baseCommit: string;
  team: string;
  agent: string;
  /** Shared folders actually linked. */
  sharedLinks: string[];
}

export interface WorktreeInfo {
  path: string;
  team: string;
  agent: string;
  /** Short branch name checked out (normally `godel/<team>/<agent>`); undefined when detached. */
  branch?: string;
  head?: string;
  /** `git worktree lock` reason ('' without one); undefined when not locked. */
  locked?: string;
  /** The folder is gone but git still lists the worktree (half-removed). */
  folderMissing: boolean;
  metadata?: WorktreeMetadata;
}

export interface RemoveWorktreeOptions {
  /** Discard uncommitted changes and untracked files (`git worktree remove --force`). */
  force?: boolean;
  /** Also delete `godel/<team>/<agent>` (`git branch -D`). Default false: commits stay reachable. */
  deleteBranch?: boolean;
}

export interface RemoveResult {
  path: string;
  /** False when there was nothing left to remove. */
  removed: boolean;
  branchDeleted: boolean;
}

export interface CleanupOptions {
  /** Asked right before each removal; a live agent's worktree is never removed. */
  isLive: (agent: string, worktree: WorktreeInfo) => boolean | Promise<boolean>;
  policy: CleanupPolicy & {
    /** Ref merged work lands on; default the worktree's recorded `baseRef`. */
    target?: string;
    /** Delete the branch of a worktree removed as merged. Default true. */
    deleteMergedBranches?: boolean;
  };
  /** Epoch ms or Date; default the manager's clock. */
  now?: number | Date;
  /** Where status/createdAt come from; default the metadata file in the worktree's git dir. */
  lookupMetadata?: (worktree: WorktreeInfo) => WorktreeMetadata | undefined | Promise<WorktreeMetadata | undefined>;
}

export interface CleanupReport {
  removed: { path: string; team: string; agent: string; reason: RemoveReason; branchDeleted: boolean }[];
  kept: { path: string; team: string; agent: string; reason: KeepReason }[];
  /** Removals that threw (e.g. a git lock held past the retries); the rest still ran. */
  failed: { path: string; team: string; agent: string; reason: RemoveReason; error: Record<string, unknown> }[];
}
