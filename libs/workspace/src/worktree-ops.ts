import { rm } from 'node:fs/promises';
import { Semaphore } from 'async-mutex';
import { basename, dirname, join, resolve } from 'node:path';
import { WorkspaceError } from './errors/workspace-error';
import { gitExitCode, gitStderr, type GitRunner } from './git/git-runner';
import { retryOnLock, type LockRetryPolicy } from './git/lock-retry';
import { parseWorktreePorcelainZ, type PorcelainWorktree } from './git/worktree-porcelain';
import { resolvePhysicalPath } from './guard/physical-path';
import { KeyedMutex } from './keyed-mutex';
import { branchName } from './names';
import { inspectRepo, resolveCommit, type RepoInfo } from './repo-info';
import { gitdirPointer, pathExists, removeIfEmpty, unlinkSharedDirs } from './worktree-files';
import { adminDirsByWorktree, type WorktreeMetadata } from './worktree-metadata';
import type { WorktreeInfo } from './worktree-types';

/**
 * One per process for all managers: two managers of one repository still never run git's
 * mutating commands at the same time (keyed by the real path of the git common dir).
 */
export const repoLocks = new KeyedMutex();

/** How many worktrees this process makes at once, over all repositories (see `createSlots`). */
export const CREATE_CONCURRENCY = 4;

/**
 * One per process: worktree creations beyond CREATE_CONCURRENCY wait their turn. A create runs
 * about eight git processes; a hundred agent starts at once (their worktrees are made before
 * admission control queues their processes) otherwise spawned hundreds of git processes in a
 * burst, each spawn blocking the event loop for 10–25 ms on a 2-core box, and the loop that
 * renews the shard leases stalled past their TTL (issue 13: shards lost while 100 agents start).
 * async-mutex's Semaphore: FIFO, so starts keep their order.
 */
export const createSlots = new Semaphore(CREATE_CONCURRENCY);

/**
 * `git worktree lock` reason while `create` fills a new worktree outside the repository lock:
 * cleanup (here or in another process) and `git worktree prune` leave a locked worktree alone.
 */
export const CREATING_LOCK_REASON = 'godel: creating';

/**
 * The git steps WorktreeManager is built from: one repository, one worktrees root. No locking
 * here: callers hold `repoLocks` around whatever must not interleave.
 */
export class WorktreeOps {
  private repoInfo?: Promise<RepoInfo>;
  private rootPath?: Promise<string>;

  constructor(
    readonly git: GitRunner,
    private readonly repoPath: string,
    private readonly worktreesRoot: string,
    readonly sharedDirs: readonly string[],
    readonly retry: LockRetryPolicy,
    private readonly allowBare = false,
  ) {}

  repo(): Promise<RepoInfo> {
    const pending = (this.repoInfo ??= inspectRepo(this.git, this.repoPath, { allowBare: this.allowBare }));
    pending.catch(() => (this.repoInfo = undefined)); // a failure is not cached: the repo may appear later
    return pending;
  }

  root(): Promise<string> {
    return (this.rootPath ??= resolvePhysicalPath(resolve(this.worktreesRoot)));
  }

  /** Absolute path with its parent's symlinks resolved (the worktree itself may be gone). */
  async normalise(path: string): Promise<string> {
    const absolute = resolve(path);
    return join(await resolvePhysicalPath(dirname(absolute)), basename(absolute));
  }

  async branchTip(branch: string): Promise<string | undefined> {
    const { root } = await this.repo();
    try {
      const { stdout } = await this.git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: root });
      return stdout.trim() || undefined;
    } catch (err) {
      if (gitExitCode(err) === 1) return undefined;
      throw err;
    }
  }

  /** Which of `paths` exist in `commit`'s tree (tracked folders are never replaced by a link). */
  async trackedPaths(root: string, commit: string, paths: readonly string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const { stdout } = await this.git(['ls-tree', '--name-only', '-z', commit, '--', ...paths], { cwd: root });
    return new Set(stdout.split('\0').filter((p) => p !== ''));
  }

  async adminDirOf(worktree: string): Promise<string> {
    const adminDir = await gitdirPointer(worktree);
    if (!adminDir) throw new WorkspaceError('workspace.git_failed', `${worktree} has no .git file after git worktree add`, { worktree });
    return adminDir;
  }

  /** Folder in our layout pointing into this repository that git does not list (fresh check). */
  async isOrphan(folder: string): Promise<boolean> {
    const { commonDir } = await this.repo();
    const adminDir = await gitdirPointer(folder);
    if (!adminDir || dirname(adminDir) !== join(commonDir, 'worktrees')) return false;
    return !(await adminDirsByWorktree(commonDir)).has(folder);
  }

  async porcelain(): Promise<PorcelainWorktree[]> {
    const { root } = await this.repo();
    // Retried: listing reads every admin dir and dies on one another process is half-way creating.
    const { stdout } = await retryOnLock(() => this.git(['worktree', 'list', '--porcelain', '-z'], { cwd: root }), this.retry);
    return parseWorktreePorcelainZ(stdout);
  }

  async removeRegistered(wt: WorktreeInfo, force: boolean, unlockCrashedCreate = false): Promise<void> {
    const { root: mainRoot, commonDir } = await this.repo();
    if (wt.locked === CREATING_LOCK_REASON && unlockCrashedCreate) {
      await retryOnLock(() => this.git(['worktree', 'unlock', '--', wt.path], { cwd: mainRoot }), this.retry);
    } else if (wt.locked !== undefined) {
      throw new WorkspaceError('workspace.worktree_locked', `${wt.path} is locked (git worktree lock): ${wt.locked || 'no reason given'}`, { path: wt.path });
    }
    if (wt.folderMissing) {
      // What `git worktree prune` does, for this one worktree only (prune would touch others too).
      const adminDir = (await adminDirsByWorktree(commonDir)).get(wt.path);
      if (adminDir) await rm(adminDir, { recursive: true, force: true });
      return;
    }
    if (force) await unlinkSharedDirs(wt.path, [...new Set([...this.sharedDirs, ...(wt.metadata?.sharedLinks ?? [])])]);
    try {
      await retryOnLock(() => this.git(['worktree', 'remove', ...(force ? ['--force'] : []), '--', wt.path], { cwd: mainRoot }), this.retry);
    } catch (err) {
      const stderr = gitStderr(err);
      if (/is not a working tree/.test(stderr)) return; // removed meanwhile by someone else
      if (/modified or untracked files/.test(stderr)) {
        throw new WorkspaceError('workspace.dirty_worktree', `${wt.path} has uncommitted changes; pass force to discard them`, { path: wt.path, stderr });
      }
      throw err;
    }
  }

  /** Deletes a branch; false when it did not exist. */
  async deleteBranch(branch: string): Promise<boolean> {
    if (!(await this.branchTip(branch))) return false;
    const { root } = await this.repo();
    await retryOnLock(() => this.git(['branch', '-D', '--', branch], { cwd: root }), this.retry);
    return true;
  }

  /** Own commits (tip differs from the recorded base commit), all reachable from the target. */
  async isMerged(wt: WorktreeInfo, metadata: WorktreeMetadata | undefined, target: string | undefined, cache: Map<string, string | undefined>): Promise<boolean> {
    const targetRef = target ?? metadata?.baseRef;
    const tip = (await this.branchTip(branchName(wt.team, wt.agent))) ?? wt.head;
    if (!metadata || !targetRef || !tip || tip === metadata.baseCommit) return false;
    const { root } = await this.repo();
    if (!cache.has(targetRef)) cache.set(targetRef, await resolveCommit(this.git, root, targetRef).catch(() => undefined));
    const targetCommit = cache.get(targetRef);
    if (!targetCommit) return false;
    try {
      await this.git(['merge-base', '--is-ancestor', tip, targetCommit], { cwd: root });
      return true;
    } catch (err) {
      if (gitExitCode(err) === 1) return false;
      throw err;
    }
  }

  /** Best effort: undo a half-made worktree so the same agent can be created again. */
  async rollbackCreate(mainRoot: string, path: string, branch: string, start: string): Promise<void> {
    await unlinkSharedDirs(path, this.sharedDirs);
    // Twice --force: the half-made worktree is still locked as "creating".
    await this.git(['worktree', 'remove', '--force', '--force', '--', path], { cwd: mainRoot }).catch(() => undefined);
    if (await pathExists(path)) await rm(path, { recursive: true, force: true });
    const { commonDir } = await this.repo();
    const adminDir = await adminDirsByWorktree(commonDir).then((m) => m.get(path));
    if (adminDir) await rm(adminDir, { recursive: true, force: true });
    if ((await this.branchTip(branch).catch(() => undefined)) === start) {
      await this.git(['branch', '-D', '--', branch], { cwd: mainRoot }).catch(() => undefined);
    }
    await removeIfEmpty(dirname(path));
  }
}

export function errorJson(err: unknown): Record<string, unknown> {
  if (err instanceof WorkspaceError) return err.toJSON();
  return { message: err instanceof Error ? err.message : String(err) };
}

export function notManaged(path: string): WorkspaceError {
  return new WorkspaceError('workspace.not_managed', `${path} is not a worktree managed by this WorktreeManager`, { path });
}
