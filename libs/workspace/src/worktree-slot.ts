import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WorkspaceError } from './errors/workspace-error';
import { createGitRunner, type GitRunner } from './git/git-runner';
import { DEFAULT_LOCK_RETRY, retryOnLock, type LockRetryPolicy } from './git/lock-retry';
import { inspectRepo, resolveCommit, type RepoInfo } from './repo-info';
import { gitdirPointer } from './worktree-files';
import { METADATA_FILE } from './worktree-metadata';
import { repoLocks } from './worktree-ops';

/**
 * Worktree slots of a warm pool (issue 13): a detached worktree made ahead of time, so a process
 * can be started in it (and sandboxed around it: its git admin folder exists at launch), and later
 * adopted by an agent (worktree-adopt.ts): moved to `<worktreesRoot>/<team>/<agent>` by a rename, so a
 * sandbox that bound the slot keeps seeing the same folder at the slot's path.
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
  /** The repository the slot belongs to (adoptions need not look it up again). */
  repo: RepoInfo;
}

/** A placeholder metadata file exists from the start, so the sandbox binds it read-only at launch. */
const SLOT_PLACEHOLDER = `${JSON.stringify({ version: 0, slot: true })}\n`;

export function slotTools(o: SlotOptions): { git: GitRunner; retry: LockRetryPolicy } {
  return { git: o.git ?? createGitRunner(), retry: { ...DEFAULT_LOCK_RETRY, ...o.lockRetry } };
}

/** Makes a detached worktree at `path` (checked out at the repository's HEAD), outside any agent layout. */
export async function createSlot(o: SlotOptions & { path: string }): Promise<CreatedSlot> {
  const { git, retry } = slotTools(o);
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
    return { path, commit, adminDir, repo: { root, commonDir } };
  } catch (err) {
    await removeSlot({ ...o, path });
    throw err;
  }
}

/** Removes a slot's worktree (git's record and the folder). Idempotent, best effort. */
export async function removeSlot(o: SlotOptions & { path: string }): Promise<void> {
  const { git, retry } = slotTools(o);
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

/** Rewrites a file keeping its inode (a sandbox may have it bound read-only). */
export async function writeInPlace(file: string, text: string): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(text, 'utf8');
  } finally {
    await fh.close();
  }
}
