import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { decideCleanup } from './cleanup/cleanup-policy';
import { WorkspaceError } from './errors/workspace-error';
import { createGitRunner, gitExitCode, gitStderr, type GitRunner } from './git/git-runner';
import { DEFAULT_LOCK_RETRY, retryOnLock, type LockRetryPolicy } from './git/lock-retry';
import { parseWorktreePorcelainZ, type PorcelainWorktree } from './git/worktree-porcelain';
import { resolvePhysicalPath } from './guard/physical-path';
import { KeyedMutex } from './keyed-mutex';
import { assertValidName, branchName } from './names';
import { assertCleanBase, inspectRepo, resolveCommit, type RepoInfo } from './repo-info';
import { assertValidSharedDirs } from './shared-dirs';
import {
  ensureExcluded,
  findOrphanFolders,
  gitdirPointer,
  linkSharedDirs,
  ownedLayout,
  pathExists,
  removeFolder,
  removeIfEmpty,
  unlinkSharedDirs,
} from './worktree-files';
import {
  adminDirCreatedAt,
  adminDirLockedAt,
  adminDirsByWorktree,
  readMetadata,
  writeMetadata,
  type WorktreeMetadata,
  type WorktreeStatus,
} from './worktree-metadata';
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

/**
 * One per process for all managers: two managers of one repository still never run git's
 * mutating commands at the same time (keyed by the real path of the git common dir).
 */
const repoLocks = new KeyedMutex();

/**
 * `git worktree lock` reason while `create` fills a new worktree outside the repository lock:
 * cleanup (here or in another process) and `git worktree prune` leave a locked worktree alone.
 */
export const CREATING_LOCK_REASON = 'godel: creating';

/** A worktree still locked as "creating" after this long belongs to a create that crashed. */
const STALE_CREATE_MS = 10 * 60_000;

/**
 * Git worktrees for agents: `<worktreesRoot>/<team>/<agent>` on branch `godel/<team>/<agent>`,
 * shared dependency folders symlinked in, metadata beside git's own record, cleanup by policy.
 * Mutations are serialised per repository in-process and retried with backoff when another
 * process holds a git lock.
 */
export class WorktreeManager {
  private readonly git: GitRunner;
  private readonly sharedDirs: readonly string[];
  private readonly retry: LockRetryPolicy;
  private readonly clock: () => number;
  private repoInfo?: Promise<RepoInfo>;
  private rootPath?: Promise<string>;

  constructor(private readonly options: WorktreeManagerOptions) {
    this.git = options.git ?? createGitRunner();
    this.sharedDirs = [...(options.sharedDirs ?? [])];
    assertValidSharedDirs(this.sharedDirs);
    this.retry = { ...DEFAULT_LOCK_RETRY, ...options.lockRetry };
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Checks the repository: `workspace.not_a_repo`, then with `baseRef` `workspace.unknown_ref`,
   * then with `requireClean` `workspace.dirty_base`. Returns the real paths and the base commit.
   */
  async validateRepo(check: { baseRef?: string; requireClean?: boolean } = {}): Promise<RepoInfo & { baseCommit?: string }> {
    const repo = await this.repo();
    const baseCommit = check.baseRef === undefined ? undefined : await resolveCommit(this.git, repo.root, check.baseRef);
    if (check.requireClean) await assertCleanBase(this.git, repo.root);
    return { ...repo, baseCommit };
  }

  async create(request: CreateWorktreeRequest): Promise<CreatedWorktree> {
    const { team, agent, baseRef } = request;
    assertValidName(team, 'team');
    assertValidName(agent, 'agent');
    const { root: mainRoot, commonDir, baseCommit } = await this.validateRepo({ baseRef, requireClean: this.options.requireCleanBase ?? true });
    const base = baseCommit as string;
    const branch = branchName(team, agent);
    const path = join(await this.root(), team, agent);

    const tracked = await this.trackedPaths(mainRoot, base, this.sharedDirs);

    // Serialised: registering a worktree. Concurrent `git worktree add` runs read each other's
    // half-made admin dirs ("failed to read .git/worktrees/x/commondir").
    await repoLocks.run(commonDir, async () => {
      if (await this.branchTip(branch)) throw alreadyExists(`branch ${branch} already exists`, { branch });
      if (await pathExists(path)) throw alreadyExists(`${path} already exists`, { path });
      await mkdir(dirname(path), { recursive: true });
      await ensureExcluded(commonDir, this.sharedDirs); // before the links exist: status never shows them
      try {
        await retryOnLock(async (attempt) => {
          // `worktree add -b` creates the branch first; a try that failed after that leaves it behind.
          const leftover = attempt > 1 ? await this.branchTip(branch) : undefined;
          if (leftover !== undefined && leftover !== base) throw alreadyExists(`branch ${branch} appeared at ${leftover}`, { branch });
          const args = leftover
            ? ['worktree', 'add', '--no-checkout', '--lock', '--reason', CREATING_LOCK_REASON, '--', path, branch]
            : ['worktree', 'add', '--no-checkout', '--lock', '--reason', CREATING_LOCK_REASON, '-b', branch, '--', path, base];
          await this.git(args, { cwd: mainRoot });
        }, this.retry);
      } catch (err) {
        await this.rollbackCreate(mainRoot, path, branch, base);
        throw err;
      }
    });

    // In parallel: filling the folder only touches this worktree's own index and files. These are
    // the two steps `git worktree add` itself runs when it checks out (same commands, same hook).
    // The worktree stays locked (CREATING_LOCK_REASON) until it is complete.
    try {
      await retryOnLock(() => this.git(['reset', '--hard', '--no-recurse-submodules', '--quiet'], { cwd: path }), this.retry);
      const nullCommit = '0'.repeat(base.length); // 40 or 64 (SHA-256 repositories)
      // The repository's own hooks folder only: a `core.hooksPath` in its config (which an agent
      // might have written before the sandbox) is not followed; every other Godel git call runs
      // with hooks off (HARDENED_GIT_CONFIG).
      await this.git(['-c', `core.hooksPath=${join(commonDir, 'hooks')}`, 'hook', 'run', '--ignore-missing', 'post-checkout', '--', nullCommit, base, '1'], { cwd: path });
      const sharedLinks = await linkSharedDirs(mainRoot, path, this.sharedDirs, tracked);
      const now = new Date(this.clock()).toISOString();
      await writeMetadata(await this.adminDirOf(path), {
        version: 1,
        team,
        agent,
        branch,
        baseRef,
        baseCommit: base,
        status: 'active',
        createdAt: now,
        updatedAt: now,
        sharedLinks,
      });
      await retryOnLock(() => this.git(['worktree', 'unlock', '--', path], { cwd: mainRoot }), this.retry);
      return { path, branch, baseCommit: base, team, agent, sharedLinks };
    } catch (err) {
      await repoLocks.run(commonDir, () => this.rollbackCreate(mainRoot, path, branch, base));
      throw err;
    }
  }

  /** Worktrees this manager made (`<worktreesRoot>/<team>/<agent>`), with their metadata. */
  async list(): Promise<WorktreeInfo[]> {
    const repo = await this.repo();
    const root = await this.root();
    const adminDirs = await adminDirsByWorktree(repo.commonDir);
    const result: WorktreeInfo[] = [];
    for (const entry of await this.porcelain()) {
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
    const target = await this.normalise(path);
    const { commonDir } = await this.repo();
    return repoLocks.run(commonDir, async () => {
      const wt = (await this.list()).find((w) => w.path === target);
      if (!wt?.metadata || wt.folderMissing) throw notManaged(target);
      const updated = { ...wt.metadata, status, updatedAt: new Date(this.clock()).toISOString() };
      await writeMetadata(await this.adminDirOf(target), updated);
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
    const target = await this.normalise(path);
    const owner = ownedLayout(await this.root(), target);
    if (!owner) throw notManaged(target);
    const { commonDir } = await this.repo();
    return repoLocks.run(commonDir, async () => {
      const wt = (await this.list()).find((w) => w.path === target);
      let removed: boolean;
      if (wt) {
        await this.removeRegistered(wt, options.force ?? false);
        removed = true;
      } else if (await pathExists(target)) {
        if (!(await this.isOrphan(target))) throw notManaged(target);
        await removeFolder(target, this.sharedDirs);
        removed = true;
      } else {
        removed = false;
      }
      await removeIfEmpty(dirname(target));
      const branchDeleted = options.deleteBranch ? await this.deleteBranch(branchName(owner.team, owner.agent)) : false;
      return { path: target, removed, branchDeleted };
    });
  }

  /** Drops git's record of our worktrees whose folder is gone (not locked ones). Returns their paths. */
  async prune(): Promise<string[]> {
    const { commonDir } = await this.repo();
    return repoLocks.run(commonDir, async () => {
      const pruned: string[] = [];
      for (const wt of await this.list()) {
        if (!wt.folderMissing || wt.locked !== undefined) continue;
        await this.removeRegistered(wt, true);
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
  async cleanup(options: CleanupOptions): Promise<CleanupReport> {
    const repo = await this.repo();
    const root = await this.root();
    const nowMs = options.now === undefined ? this.clock() : typeof options.now === 'number' ? options.now : options.now.getTime();
    const report: CleanupReport = { removed: [], kept: [], failed: [] };
    return repoLocks.run(repo.commonDir, async () => {
      const worktrees = await this.list();
      const adminDirs = await adminDirsByWorktree(repo.commonDir);
      const targets = new Map<string, string | undefined>();
      for (const wt of worktrees) {
        const metadata = options.lookupMetadata ? await options.lookupMetadata(wt) : wt.metadata;
        const adminDir = adminDirs.get(wt.path);
        const createdAtMs = metadata ? Date.parse(metadata.createdAt) : adminDir ? (await adminDirCreatedAt(adminDir))?.getTime() : undefined;
        const live = await options.isLive(wt.agent, wt);
        const merged = !live && options.policy.onMerged ? await this.isMerged(wt, metadata, options.policy.target, targets) : false;
        // File time against the wall clock (not the policy's `now`): a fact about this machine.
        const lockedAt = wt.locked === CREATING_LOCK_REASON && adminDir ? await adminDirLockedAt(adminDir) : undefined;
        const crashedCreate = lockedAt !== undefined && Date.now() - lockedAt.getTime() > STALE_CREATE_MS;
        const locked = wt.locked !== undefined && !crashedCreate;
        const decision = decideCleanup(
          { live, locked, folderMissing: wt.folderMissing, orphaned: false, status: metadata?.status, createdAtMs, merged },
          options.policy,
          nowMs,
        );
        if (decision.action === 'keep') {
          report.kept.push({ path: wt.path, team: wt.team, agent: wt.agent, reason: decision.reason });
          continue;
        }
        try {
          await this.removeRegistered(wt, true, crashedCreate);
          await removeIfEmpty(dirname(wt.path));
          const deleteBranch = decision.reason === 'merged' && options.policy.deleteMergedBranches !== false;
          const branchDeleted = deleteBranch ? await this.deleteBranch(branchName(wt.team, wt.agent)) : false;
          report.removed.push({ path: wt.path, team: wt.team, agent: wt.agent, reason: decision.reason, branchDeleted });
        } catch (err) {
          report.failed.push({ path: wt.path, team: wt.team, agent: wt.agent, reason: decision.reason, error: errorJson(err) });
        }
      }
      const registered = new Set((await this.porcelain()).map((e) => e.path));
      for (const folder of await findOrphanFolders(root, repo.commonDir, registered)) {
        const owner = ownedLayout(root, folder) as { team: string; agent: string };
        const info: WorktreeInfo = { path: folder, ...owner, folderMissing: false };
        const live = await options.isLive(owner.agent, info);
        const decision = decideCleanup({ live, locked: false, folderMissing: false, orphaned: true, merged: false }, options.policy, nowMs);
        if (decision.action === 'keep') {
          report.kept.push({ path: folder, ...owner, reason: decision.reason });
          continue;
        }
        if (!(await this.isOrphan(folder))) continue; // registered meanwhile (another process creating it)
        try {
          await removeFolder(folder, this.sharedDirs);
          await removeIfEmpty(dirname(folder));
          report.removed.push({ path: folder, ...owner, reason: 'orphaned', branchDeleted: false });
        } catch (err) {
          report.failed.push({ path: folder, ...owner, reason: 'orphaned', error: errorJson(err) });
        }
      }
      return report;
    });
  }

  // ---- internals -------------------------------------------------------------------------

  private repo(): Promise<RepoInfo> {
    const pending = (this.repoInfo ??= inspectRepo(this.git, this.options.repoPath));
    pending.catch(() => (this.repoInfo = undefined)); // a failure is not cached: the repo may appear later
    return pending;
  }

  private root(): Promise<string> {
    return (this.rootPath ??= resolvePhysicalPath(resolve(this.options.worktreesRoot)));
  }

  /** Absolute path with its parent's symlinks resolved (the worktree itself may be gone). */
  private async normalise(path: string): Promise<string> {
    const absolute = resolve(path);
    return join(await resolvePhysicalPath(dirname(absolute)), basename(absolute));
  }

  private async branchTip(branch: string): Promise<string | undefined> {
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
  private async trackedPaths(root: string, commit: string, paths: readonly string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const { stdout } = await this.git(['ls-tree', '--name-only', '-z', commit, '--', ...paths], { cwd: root });
    return new Set(stdout.split('\0').filter((p) => p !== ''));
  }

  private async adminDirOf(worktree: string): Promise<string> {
    const adminDir = await gitdirPointer(worktree);
    if (!adminDir) throw new WorkspaceError('workspace.git_failed', `${worktree} has no .git file after git worktree add`, { worktree });
    return adminDir;
  }

  /** Folder in our layout pointing into this repository that git does not list (fresh check). */
  private async isOrphan(folder: string): Promise<boolean> {
    const { commonDir } = await this.repo();
    const adminDir = await gitdirPointer(folder);
    if (!adminDir || dirname(adminDir) !== join(commonDir, 'worktrees')) return false;
    return !(await adminDirsByWorktree(commonDir)).has(folder);
  }

  private async porcelain(): Promise<PorcelainWorktree[]> {
    const { root } = await this.repo();
    // Retried: listing reads every admin dir and dies on one another process is half-way creating.
    const { stdout } = await retryOnLock(() => this.git(['worktree', 'list', '--porcelain', '-z'], { cwd: root }), this.retry);
    return parseWorktreePorcelainZ(stdout);
  }

  private async removeRegistered(wt: WorktreeInfo, force: boolean, unlockCrashedCreate = false): Promise<void> {
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
  private async deleteBranch(branch: string): Promise<boolean> {
    if (!(await this.branchTip(branch))) return false;
    const { root } = await this.repo();
    await retryOnLock(() => this.git(['branch', '-D', '--', branch], { cwd: root }), this.retry);
    return true;
  }

  /** Own commits (tip differs from the recorded base commit), all reachable from the target. */
  private async isMerged(wt: WorktreeInfo, metadata: WorktreeMetadata | undefined, target: string | undefined, cache: Map<string, string | undefined>): Promise<boolean> {
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
  private async rollbackCreate(mainRoot: string, path: string, branch: string, base: string): Promise<void> {
    await unlinkSharedDirs(path, this.sharedDirs);
    // Twice --force: the half-made worktree is still locked as "creating".
    await this.git(['worktree', 'remove', '--force', '--force', '--', path], { cwd: mainRoot }).catch(() => undefined);
    if (await pathExists(path)) await rm(path, { recursive: true, force: true });
    const { commonDir } = await this.repo();
    const adminDir = await adminDirsByWorktree(commonDir).then((m) => m.get(path));
    if (adminDir) await rm(adminDir, { recursive: true, force: true });
    if ((await this.branchTip(branch).catch(() => undefined)) === base) {
      await this.git(['branch', '-D', '--', branch], { cwd: mainRoot }).catch(() => undefined);
    }
    await removeIfEmpty(dirname(path));
  }
}

function alreadyExists(message: string, details: Record<string, unknown>): WorkspaceError {
  return new WorkspaceError('workspace.already_exists', message, details);
}

function errorJson(err: unknown): Record<string, unknown> {
  if (err instanceof WorkspaceError) return err.toJSON();
  return { message: err instanceof Error ? err.message : String(err) };
}

function notManaged(path: string): WorkspaceError {
  return new WorkspaceError('workspace.not_managed', `${path} is not a worktree managed by this WorktreeManager`, { path });
}
