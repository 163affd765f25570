import { mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WorkspaceError } from './errors/workspace-error';
import { createGitRunner, gitExitCode, gitStderr, type GitRunner } from './git/git-runner';
import { DEFAULT_LOCK_RETRY, retryOnLock, type LockRetryPolicy } from './git/lock-retry';
import { assertValidName, branchName } from './names';
import { assertCleanBase, inspectRepo, resolveCommit } from './repo-info';
import { assertValidSharedDirs } from './shared-dirs';
import { ensureExcluded, gitdirPointer, linkSharedDirs, pathExists } from './worktree-files';
import { METADATA_FILE, type WorktreeMetadata } from './worktree-metadata';
import { repoLocks } from './worktree-ops';
import type { CreatedWorktree } from './worktree-types';

/**
 * Worktree slots of a warm pool (issue 13): a detached worktree made ahead of time, so a process
 * can be started in it (and sandboxed around it: its git admin folder exists at launch), and later
 * adopted by an agent — branch `godel/<team>/<agent>` at the agent's base, metadata, shared links,
 * and moved to `<worktreesRoot>/<team>/<agent>` like any worktree `WorktreeManager.create` makes.
 * The move is a rename: a sandbox that bound the slot keeps seeing the same folder at the slot's path.
 */
export interface SlotOptions {
  repoPath: string;
  git?: GitRunner;
  lockRetry?: Partial<LockRetryPolicy>;
}

export interface CreatedSlot {
  path: string;
  /** The commit checked out (detached): the repository's HEAD when the slot was made. */
  commit: string;
  adminDir: string;
}

export interface AdoptSlotRequest extends SlotOptions {
  /** The slot folder (`createSlot`'s path). */
  slot: string;
  worktreesRoot: string;
  team: string;
  agent: string;
  baseRef: string;
  sharedDirs?: readonly string[];
  /** As `WorktreeManagerOptions.requireCleanBase` (default true). */
  requireCleanBase?: boolean;
  /** As `CreateWorktreeRequest.adoptBranchAtStart`: a branch already at the base is used. */
  adoptBranchAtBase?: boolean;
  clock?: () => number;
}

/** The agent's worktree, and whether files a process reads at start-up differ from what the slot had. */
export interface AdoptedSlot extends CreatedWorktree {
  readChanged: boolean;
}

/** What a coding agent reads from its working folder when it starts (pi: `.pi/`; context files). */
const STARTUP_FILES = ['.pi', 'AGENTS.md', 'AGENTS.MD', 'CLAUDE.md', 'CLAUDE.MD'];

/** A placeholder metadata file exists from the start, so the sandbox binds it read-only at launch. */
const SLOT_PLACEHOLDER = `${JSON.stringify({ version: 0, slot: true })}\n`;

function tools(o: SlotOptions): { git: GitRunner; retry: LockRetryPolicy } {
  return { git: o.git ?? createGitRunner(), retry: { ...DEFAULT_LOCK_RETRY, ...o.lockRetry } };
}

/** Makes a detached worktree at `path` (checked out at the repository's HEAD), outside any agent layout. */
export async function createSlot(o: SlotOptions & { path: string }): Promise<CreatedSlot> {
  const { git, retry } = tools(o);
  const { root, commonDir } = await inspectRepo(git, o.repoPath);
  const commit = await resolveCommit(git, root, 'HEAD');
  const path = resolve(o.path);
  await mkdir(dirname(path), { recursive: true });
  await repoLocks.run(commonDir, () => retryOnLock(() => git(['worktree', 'add', '--detach', '--no-checkout', '--', path, commit], { cwd: root }), retry));
  try {
    await retryOnLock(() => git(['reset', '--hard', '--no-recurse-submodules', '--quiet'], { cwd: path }), retry);
    const adminDir = await gitdirPointer(path);
    if (!adminDir) throw new WorkspaceError('workspace.git_failed', `${path} has no .git file after git worktree add`, { path });
    await writeInPlace(join(adminDir, METADATA_FILE), SLOT_PLACEHOLDER);
    return { path, commit, adminDir };
  } catch (err) {
    await removeSlot({ ...o, path });
    throw err;
  }
}

/**
 * Turns a slot into the agent's worktree: `workspace.already_exists` when its branch or folder
 * exists, `workspace.unknown_ref` / `workspace.dirty_base` as `create`. On any failure the branch
 * it made is deleted again; the slot itself is left for the caller to discard.
 */
export async function adoptSlot(r: AdoptSlotRequest): Promise<AdoptedSlot> {
  const { git, retry } = tools(r);
  assertValidName(r.team, 'team');
  assertValidName(r.agent, 'agent');
  const sharedDirs = [...(r.sharedDirs ?? [])];
  assertValidSharedDirs(sharedDirs);
  const { root: mainRoot, commonDir } = await inspectRepo(git, r.repoPath);
  const base = await resolveCommit(git, mainRoot, r.baseRef);
  if (r.requireCleanBase ?? true) await assertCleanBase(git, mainRoot);
  await mkdir(r.worktreesRoot, { recursive: true });
  const path = join(await realpath(r.worktreesRoot), r.team, r.agent);
  const branch = branchName(r.team, r.agent);
  const slot = resolve(r.slot);
  const adminDir = await gitdirPointer(slot);
  if (!adminDir) throw new WorkspaceError('workspace.not_managed', `${slot} is not a worktree slot`, { slot });
  // No repository lock on the way (20 claims at once must not queue behind each other): creating
  // the branch is atomic in git (refused when it exists), the move is a rename of this worktree.
  if (await pathExists(path)) throw alreadyExists(`${path} already exists`, { path });
  try {
    await retryOnLock(() => git(['branch', '--no-track', '--', branch, base], { cwd: mainRoot }), retry);
  } catch (err) {
    if (!/already exists/.test(gitStderr(err))) throw err;
    const tip = await branchTip(git, mainRoot, branch);
    if (!(r.adoptBranchAtBase && tip === base)) throw alreadyExists(`branch ${branch} already exists`, { branch, tip });
  }
  try {
    const previous = (await readFile(join(adminDir, 'HEAD'), 'utf8')).trim();
    // What a process started in the slot read from its folder (pi's `.pi/`, context files) may differ at the base.
    const readChanged = previous !== base && (await git(['diff', '--quiet', previous, base, '--', ...STARTUP_FILES], { cwd: mainRoot }).then(() => false, (e: unknown) => (gitExitCode(e) === 1 ? true : Promise.reject(e))));
    await git(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { cwd: slot });
    await retryOnLock(() => git(['reset', '--hard', '--no-recurse-submodules', '--quiet'], { cwd: slot }), retry);
    if (await pathExists(join(commonDir, 'hooks', 'post-checkout'))) {
      await git(['-c', `core.hooksPath=${join(commonDir, 'hooks')}`, 'hook', 'run', '--ignore-missing', 'post-checkout', '--', previous, base, '1'], { cwd: slot });
    }
    const present: string[] = [];
    for (const d of sharedDirs) if (await pathExists(join(mainRoot, d))) present.push(d);
    const tracked = await trackedPaths(git, mainRoot, base, present);
    await ensureExcluded(commonDir, present);
    const sharedLinks = await linkSharedDirs(mainRoot, slot, present, tracked);
    const now = new Date((r.clock ?? Date.now)()).toISOString();
    const metadata: WorktreeMetadata = { version: 1, team: r.team, agent: r.agent, branch, baseRef: r.baseRef, baseCommit: base, status: 'active', createdAt: now, updatedAt: now, sharedLinks };
    // In place (same inode): a sandbox started on the slot has this file bound read-only.
    await writeInPlace(join(adminDir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    await mkdir(dirname(path), { recursive: true });
    // What `git worktree move` does (rename, then the admin dir's pointer back), without listing
    // every worktree of the repository under its lock.
    await rename(slot, path);
    await writeInPlace(join(adminDir, 'gitdir'), `${join(path, '.git')}\n`);
    return { path, branch, baseCommit: base, team: r.team, agent: r.agent, sharedLinks, readChanged };
  } catch (err) {
    if (!(await pathExists(path)) && (await branchTip(git, mainRoot, branch).catch(() => undefined)) === base) {
      await git(['update-ref', '--no-deref', 'HEAD', base], { cwd: slot }).catch(() => undefined);
      await git(['branch', '-D', '--', branch], { cwd: mainRoot }).catch(() => undefined);
    }
    throw err;
  }
}

/** Removes a slot's worktree (git's record and the folder). Idempotent, best effort. */
export async function removeSlot(o: SlotOptions & { path: string }): Promise<void> {
  const { git, retry } = tools(o);
  const repo = await inspectRepo(git, o.repoPath).catch(() => undefined);
  const adminDir = await gitdirPointer(o.path);
  if (repo) {
    await repoLocks
      .run(repo.commonDir, () => retryOnLock(() => git(['worktree', 'remove', '--force', '--force', '--', resolve(o.path)], { cwd: repo.root }), retry))
      .catch(() => undefined);
  }
  await rm(o.path, { recursive: true, force: true });
  // Not `git worktree prune`: that would touch other worktrees too.
  if (adminDir && repo && dirname(adminDir) === join(repo.commonDir, 'worktrees')) await rm(adminDir, { recursive: true, force: true });
}

/**
 * Removes a slot left behind by a process that is gone (a crashed server), knowing only its folder:
 * git's record of it (the admin dir the slot's `.git` file names, when that dir is a
 * `<repo>/.git/worktrees/<name>` entry that points back at this slot) and the folder. A folder that
 * is not a slot of ours (no pointer, a pointer elsewhere) is only removed from the pool's folder.
 */
export async function removeOrphanSlot(path: string): Promise<void> {
  const slot = resolve(path);
  const adminDir = await gitdirPointer(slot);
  if (adminDir && basename(dirname(adminDir)) === 'worktrees') {
    const back = await readFile(join(adminDir, 'gitdir'), 'utf8').then((t) => resolve(t.trim()), () => undefined);
    if (back === join(slot, '.git')) await rm(adminDir, { recursive: true, force: true });
  }
  await rm(slot, { recursive: true, force: true });
}

async function writeInPlace(file: string, text: string): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(text, 'utf8');
  } finally {
    await fh.close();
  }
}

async function branchTip(git: GitRunner, root: string, branch: string): Promise<string | undefined> {
  try {
    return (await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: root })).stdout.trim() || undefined;
  } catch (err) {
    if (gitExitCode(err) === 1) return undefined;
    throw err;
  }
}

async function trackedPaths(git: GitRunner, root: string, commit: string, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const { stdout } = await git(['ls-tree', '--name-only', '-z', commit, '--', ...paths], { cwd: root });
  return new Set(stdout.split('\0').filter((p) => p !== ''));
}

function alreadyExists(message: string, details: Record<string, unknown>): WorkspaceError {
  return new WorkspaceError('workspace.already_exists', message, details);
}
