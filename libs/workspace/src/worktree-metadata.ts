import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export type WorktreeStatus = 'active' | 'done' | 'failed';

/**
 * What Godel knows about one worktree. Stored as JSON in the worktree's own git admin dir
 * (`<common-dir>/worktrees/<id>/godel-worktree.json`), next to git's `HEAD`, `gitdir`, `locked`:
 * - its lifetime is git's: `git worktree remove` / `prune` delete it with the worktree, so there
 *   is never an orphaned metadata file, and a moved worktree keeps it;
 * - it is outside the working tree, so the agent cannot commit it and path-guarded tools cannot
 *   edit it;
 * - git ignores unknown files in the admin dir.
 */
export interface WorktreeMetadata {
  version: 1;
  team: string;
  agent: string;
  branch: string;
  baseRef: string;
  baseCommit: string;
  status: WorktreeStatus;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601. */
  updatedAt: string;
  /** Shared dependency folders symlinked into this worktree (relative paths). */
  sharedLinks: string[];
}

export const METADATA_FILE = 'godel-worktree.json';

export async function readMetadata(adminDir: string): Promise<WorktreeMetadata | undefined> {
  let text: string;
  try {
    text = await readFile(join(adminDir, METADATA_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<WorktreeMetadata>;
    if (value?.version !== 1 || typeof value.team !== 'string' || typeof value.agent !== 'string') return undefined;
    return value as WorktreeMetadata;
  } catch {
    return undefined; // torn or hand-edited file: treated as "no metadata", never fatal
  }
}

/** Write-to-temp then rename, so a reader never sees half a file. */
export async function writeMetadata(adminDir: string, metadata: WorktreeMetadata): Promise<void> {
  const target = join(adminDir, METADATA_FILE);
  const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(metadata, null, 2)}\n`, 'utf8');
  await rename(temp, target);
}

/**
 * Maps each linked worktree's path to its admin dir by reading `<common-dir>/worktrees/<id>/gitdir`
 * (which holds `<worktree>/.git`). Works when the worktree folder is gone, which reading the
 * folder's `.git` file cannot.
 */
export async function adminDirsByWorktree(commonDir: string): Promise<Map<string, string>> {
  const root = join(commonDir, 'worktrees');
  const result = new Map<string, string>();
  let ids: string[];
  try {
    ids = await readdir(root);
  } catch {
    return result;
  }
  await Promise.all(
    ids.map(async (id) => {
      const adminDir = join(root, id);
      try {
        const pointer = (await readFile(join(adminDir, 'gitdir'), 'utf8')).trim();
        const dotGit = isAbsolute(pointer) ? pointer : resolve(adminDir, pointer);
        result.set(dirname(dotGit), adminDir);
      } catch {
        // not a worktree admin dir (or being created/removed right now)
      }
    }),
  );
  return result;
}

/**
 * When git created the admin dir, for worktrees without metadata (created by an older version,
 * or a crash between `git worktree add` and the metadata write). `commondir` is written once at
 * creation and never rewritten.
 */
export async function adminDirCreatedAt(adminDir: string): Promise<Date | undefined> {
  return mtimeOf(join(adminDir, 'commondir'));
}

/** When the worktree was locked (`git worktree lock` writes `locked`), or undefined. */
export async function adminDirLockedAt(adminDir: string): Promise<Date | undefined> {
  return mtimeOf(join(adminDir, 'locked'));
}

async function mtimeOf(path: string): Promise<Date | undefined> {
  try {
    return (await stat(path)).mtime;
  } catch {
    return undefined;
  }
}
