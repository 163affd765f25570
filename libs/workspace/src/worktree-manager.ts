import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WorkspaceError } from './errors/workspace-error';
import { createGitRunner } from './git/git-runner';
import { DEFAULT_LOCK_RETRY, retryOnLock } from './git/lock-retry';
import { assertValidName, branchName } from './names';
import { assertCleanBase, resolveCommit, type RepoInfo } from './repo-info';
import { assertValidSharedDirs } from './shared-dirs';
import { cleanupWorktrees } from './worktree-cleanup';
import { ensureExcluded, linkSharedDirs, ownedLayout, pathExists, removeFolder, removeIfEmpty } from './worktree-files';
import { adminDirsByWorktree, readMetadata, writeMetadata, type WorktreeMetadata, type WorktreeStatus } from './worktree-metadata';
import { createSlots, CREATING_LOCK_REASON, notManaged, repoLocks, WorktreeOps } from './worktree-ops';
import type {
  CleanupOptions,
  CleanupReport,
  CreatedWorktree,
  CreateWorktreeRequest,
  RemoveResult,
  RemoveWorktreeOptions,
  WorktreeInfo,
  WorktreeManagerOptions,
} from './worktree-types';

export { CREATING_LOCK_REASON } from './worktree-ops';

/**
 * Git worktrees for agents: `<worktreesRoot>/<team>/<agent>` on branch `godel/<team>/<agent>`,
 * shared dependency folders symlinked in, metadata beside git's own record, cleanup by policy.
 * Mutations are serialised per repository in-process and retried with backoff when another
 * process holds a git lock. The repository may be a bare one (an instance's mirror of a URL,
 * `allowBare`): worktrees are built from it the same way, with nothing to share from a main tree.
 */
export class WorktreeManager {
  private readonly ops: WorktreeOps;
  private readonly clock: () => number;

  constructor(private readonly options: WorktreeManagerOptions) {
    const sharedDirs = [...(options.sharedDirs ?? [])];
    assertValidSharedDirs(sharedDirs);
    const retry = { ...DEFAULT_LOCK_RETRY, ...options.lockRetry };
    this.ops = new WorktreeOps(options.git ?? createGitRunner(), options.repoPath, options.worktreesRoot, sharedDirs, retry, options.allowBare ?? false);
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Checks the repository: `workspace.not_a_repo`, then with `baseRef` `workspace.unknown_ref`,
   * then with `requireClean` `workspace.dirty_base`. Returns the real paths and the base commit.
   */
  async validateRepo(check: { baseRef?: string; requireClean?: boolean } = {}): Promise<RepoInfo & { baseCommit?: string }> {
    const repo = await this.ops.repo();
    const baseCommit = check.baseRef === undefined ? undefined : await resolveCommit(this.ops.git, repo.root, check.baseRef);
    if (check.requireClean && !repo.bare) await assertCleanBase(this.ops.git, repo.root);
    return { ...repo, baseCommit };
  }

  /** Makes the worktree; at most CREATE_CONCURRENCY creates run at once in this process (`createSlots`). */
  async create(request: CreateWorktreeRequest): Promise<CreatedWorktree> {
    return createSlots.runExclusive(() => this.createNow(request));
  }

  private async createNow(request: CreateWorktreeRequest): Promise<CreatedWorktree> {
    const { team, agent, baseRef } = request;
    assertValidName(team, 'team');
    assertValidName(agent, 'agent');
    const { ops } = this;
    const git = ops.git;
    const { root: mainRoot, commonDir, baseCommit } = await this.validateRepo({ baseRef, requireClean: this.options.requireCleanBase ?? true });
    const base = baseCommit as string;
    // A restored worktree (takeover) starts at its pushed tip but keeps its original base commit.
    const start = request.startAt === undefined ? base : await resolveCommit(git, mainRoot, request.startAt);
    const branch = branchName(team, agent);
    const path = join(await ops.root(), team, agent);

    const tracked = await ops.trackedPaths(mainRoot, start, ops.sharedDirs);

    // Serialised: registering a worktree. Concurrent `git worktree add` runs read each other's
    // half-made admin dirs ("failed to read .git/worktrees/x/commondir").
    await repoLocks.run(commonDir, async () => {
      const found = await ops.branchTip(branch);
      if (found !== undefined && !(request.adoptBranchAtStart && found === start)) throw alreadyExists(`branch ${branch} already exists`, { branch, tip: found });
      if (await pathExists(path)) throw alreadyExists(`${path} already exists`, { path });
      await mkdir(dirname(path), { recursive: true });
      await ensureExcluded(commonDir, ops.sharedDirs); // before the links exist: status never shows them
      try {
        await retryOnLock(async (attempt) => {
          // `worktree add -b` creates the branch first; a try that failed after that leaves it behind.
          const leftover = attempt > 1 ? await ops.branchTip(branch) : found;
          if (leftover !== undefined && leftover !== start) throw alreadyExists(`branch ${branch} appeared at ${leftover}`, { branch });
          const args = leftover
            ? ['worktree', 'add', '--no-checkout', '--lock', '--reason', CREATING_LOCK_REASON, '--', path, branch]
            : ['worktree', 'add', '--no-checkout', '--lock', '--reason', CREATING_LOCK_REASON, '-b', branch, '--', path, start];
          await git(args, { cwd: mainRoot });
        }, ops.retry);
      } catch (err) {
        await ops.rollbackCreate(mainRoot, path, branch, start);
        throw err;
      }
    });

    // In parallel: filling the folder only touches this worktree's own index and files. These are
    // the two steps `git worktree add` itself runs when it checks out (same commands, same hook).
    // The worktree stays locked (CREATING_LOCK_REASON) until it is complete.
    try {
      await retryOnLock(() => git(['reset', '--hard', '--no-recurse-submodules', '--quiet'], { cwd: path }), ops.retry);
      const nullCommit = '0'.repeat(start.length); // 40 or 64 (SHA-256 repositories)
      // The repository's own hooks folder only: a `core.hooksPath` in its config (which an agent
      // might have written before the sandbox) is not followed; every other Godel git call runs
      // with hooks off (HARDENED_GIT_CONFIG).
      await git(['-c', `core.hooksPath=${join(commonDir, 'hooks')}`, 'hook', 'run', '--ignore-missing', 'post-checkout', '--', nullCommit, start, '1'], { cwd: path });
      const sharedLinks = await linkSharedDirs(mainRoot, path, ops.sharedDirs, tracked);
      const now = new Date(this.clock()).toISOString();
      await writeMetadata(await ops.adminDirOf(path), { version: 1, team, agent, branch, baseRef, baseCommit: base, status: 'active', createdAt: now, updatedAt: now, sharedLinks });
      await retryOnLock(() => git(['worktree', 'unlock', '--', path], { cwd: mainRoot }), ops.retry);
      return { path, branch, baseCommit: base, team, agent, sharedLinks };
    } catch (err) {
      await repoLocks.run(commonDir, () => ops.rollbackCreate(mainRoot, path, branch, start));
      throw err;
    }
  }

  /** Worktrees this manager made (`<worktreesRoot>/<team>/<agent>`), with their metadata. */
  async list(): Promise<WorktreeInfo[]> {
    const repo = await this.ops.repo();
    const root = await this.ops.root();
    const adminDirs = await adminDirsByWorktree(repo.commonDir);
    const result: WorktreeInfo[] = [];
    for (const entry of await this.ops.porcelain()) {
      const owner = ownedLayout(root, entry.path);
      if (!owner) continue;
      const adminDir = adminDirs.get(entry.path);
      result.push({
        path: entry.path,
        ...owner,
        branch: entry.branch?.replace(/^refs\/heads\//, ''),
        head: entry.head,
        locked: entry.locked,
        folderMissing: entry.prunable !== undefined || !(await pathExists(entry.path)),
        metadata: adminDir ? await readMetadata(adminDir) : undefined,
      });
    }
    return result;
  }

  /** Records the agent's outcome (`failed` worktrees can be kept by cleanup for inspection). */
  async setStatus(path: string, status: WorktreeStatus): Promise<WorktreeMetadata> {
    const target = await this.ops.normalise(path);
    const { commonDir } = await this.ops.repo();
    return repoLocks.run(commonDir, async () => {
      const wt = (await this.list()).find((w) => w.path === target);
      if (!wt?.metadata || wt.folderMissing) throw notManaged(target);
      const updated = { ...wt.metadata, status, updatedAt: new Date(this.clock()).toISOString() };
      await writeMetadata(await this.ops.adminDirOf(target), updated);
      return updated;
    });
  }

  /**
   * Removes one of our worktrees. Idempotent: a path with nothing left returns `removed: false`;
   * a half-removed one (folder or git record gone) is finished off. Refuses paths that are not
   * `<worktreesRoot>/<team>/<agent>` (`workspace.not_managed`), dirty worktrees without `force`
   * (`workspace.dirty_worktree`) and worktrees locked with `git worktree lock`.
   */
  async remove(path: string, options: RemoveWorktreeOptions = {}): Promise<RemoveResult> {
    const { ops } = this;
    const target = await ops.normalise(path);
    const owner = ownedLayout(await ops.root(), target);
    if (!owner) throw notManaged(target);
    const { commonDir } = await ops.repo();
    return repoLocks.run(commonDir, async () => {
      const wt = (await this.list()).find((w) => w.path === target);
      let removed: boolean;
      if (wt) {
        await ops.removeRegistered(wt, options.force ?? false);
        removed = true;
      } else if (await pathExists(target)) {
        if (!(await ops.isOrphan(target))) throw notManaged(target);
        await removeFolder(target, ops.sharedDirs);
        removed = true;
      } else {
        removed = false;
      }
      await removeIfEmpty(dirname(target));
      const branchDeleted = options.deleteBranch ? await ops.deleteBranch(branchName(owner.team, owner.agent)) : false;
      return { path: target, removed, branchDeleted };
    });
  }

  /** Drops git's record of our worktrees whose folder is gone (not locked ones). Returns their paths. */
  async prune(): Promise<string[]> {
    const { commonDir } = await this.ops.repo();
    return repoLocks.run(commonDir, async () => {
      const pruned: string[] = [];
      for (const wt of await this.list()) {
        if (!wt.folderMissing || wt.locked !== undefined) continue;
        await this.ops.removeRegistered(wt, true);
        pruned.push(wt.path);
      }
      return pruned;
    });
  }

  /**
   * Applies the cleanup policy (see decideCleanup) to every worktree of ours and to folders git
   * forgot. A live agent's worktree is never removed: `isLive` is asked right before each removal,
   * with the repository lock held. Removal discards uncommitted changes (`--force`); the branch is
   * deleted only when merged. Idempotent: a second run finds nothing more to do.
   */
  cleanup(options: CleanupOptions): Promise<CleanupReport> {
    return cleanupWorktrees(this.ops, () => this.list(), options, this.clock);
  }
}

function alreadyExists(message: string, details: Record<string, unknown>): WorkspaceError {
  return new WorkspaceError('workspace.already_exists', message, details);
}
