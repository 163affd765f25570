import { lstat, mkdir, readdir, readFile, realpath, rename, rm, rmdir, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { nameProblem } from './names';
import { withExcludeBlock } from './shared-dirs';

/** File-system helpers of the worktree manager (no git calls here). */

export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** `{ team, agent }` when `path` is exactly `<root>/<team>/<agent>` with valid names. */
export function ownedLayout(root: string, path: string): { team: string; agent: string } | undefined {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const parts = rel.split(sep);
  if (parts.length !== 2 || nameProblem(parts[0]) || nameProblem(parts[1])) return undefined;
  return { team: parts[0], agent: parts[1] };
}

/**
 * Symlinks each shared folder of the main working tree into the new worktree, skipping folders
 * that do not exist in the main tree, that the checkout already provided, or that are tracked
 * (`tracked`: e.g. a committed Go `vendor/`, which must stay a real folder). Returns the links made.
 */
export async function linkSharedDirs(mainRoot: string, worktree: string, dirs: readonly string[], tracked: ReadonlySet<string>): Promise<string[]> {
  const made: string[] = [];
  for (const dir of dirs) {
    if (tracked.has(dir)) continue;
    const source = join(mainRoot, dir);
    try {
      if (!(await stat(source)).isDirectory()) continue;
    } catch {
      continue;
    }
    const link = join(worktree, dir);
    if (await pathExists(link)) continue;
    await mkdir(dirname(link), { recursive: true });
    await symlink(await realpath(source), link, 'dir');
    made.push(dir);
  }
  return made;
}

/** Removes the shared-folder symlinks (only symlinks: never follows one into the main repo). */
export async function unlinkSharedDirs(worktree: string, dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    const link = join(worktree, dir);
    try {
      if ((await lstat(link)).isSymbolicLink()) await unlink(link);
    } catch {
      // already gone
    }
  }
}

/** Adds anchored patterns for `dirs` to `<common-dir>/info/exclude` (atomic rewrite, only when something is missing). */
export async function ensureExcluded(commonDir: string, dirs: readonly string[]): Promise<void> {
  if (dirs.length === 0) return;
  const file = join(commonDir, 'info', 'exclude');
  let current = '';
  try {
    current = await readFile(file, 'utf8');
  } catch {
    await mkdir(dirname(file), { recursive: true });
  }
  const next = withExcludeBlock(current, dirs);
  if (next === current) return;
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, next, 'utf8');
  await rename(temp, file);
}

/** Removes `dir` if it is empty; anything else (not empty, gone) is fine. */
export async function removeIfEmpty(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch {
    // not empty or already gone
  }
}

/** Deletes a worktree folder git no longer knows, after unlinking shared-folder symlinks. */
export async function removeFolder(path: string, sharedDirs: readonly string[]): Promise<void> {
  await unlinkSharedDirs(path, sharedDirs);
  await rm(path, { recursive: true, force: true }); // fs.rm unlinks symlinks, never follows them
}

/**
 * Folders `<root>/<team>/<agent>` whose `.git` file points into `<commonDir>/worktrees/` but that
 * git does not list (`registered`): half-removed worktrees git forgot (admin dir pruned or deleted
 * while the folder stayed; git may even have reused the admin dir's name for another worktree).
 * Folders of other repositories sharing the root are left alone.
 */
export async function findOrphanFolders(root: string, commonDir: string, registered: ReadonlySet<string>): Promise<string[]> {
  const orphans: string[] = [];
  for (const team of await safeReaddir(root)) {
    if (nameProblem(team)) continue;
    for (const agent of await safeReaddir(join(root, team))) {
      const folder = join(root, team, agent);
      if (nameProblem(agent) || registered.has(folder)) continue;
      const adminDir = await gitdirPointer(folder);
      if (adminDir !== undefined && dirname(adminDir) === join(commonDir, 'worktrees')) orphans.push(folder);
    }
  }
  return orphans;
}

/** Admin dir named by `<folder>/.git` (a file `gitdir: <path>` in a linked worktree). */
export async function gitdirPointer(folder: string): Promise<string | undefined> {
  try {
    const text = await readFile(join(folder, '.git'), 'utf8');
    const match = /^gitdir: (.+)$/m.exec(text);
    return match ? resolve(folder, match[1].trim()) : undefined;
  } catch {
    return undefined; // a directory (a real repo) or missing
  }
}

async function safeReaddir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
