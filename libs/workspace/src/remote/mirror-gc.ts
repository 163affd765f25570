import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';

/** What a mirror collection did. */
export interface MirrorGcReport {
  removed: string[];
  /** Not used for long enough, but a worktree (an agent's, live or kept) is built on it. */
  keptInUse: string[];
}

/** Marks a mirror used now (its folder's times): what `collectMirrors` measures idleness by. */
export async function touchMirror(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => undefined);
}

/**
 * Removes the mirrors under `<home>/mirrors` not used for `maxIdleMs` (their folder's mtime, which
 * every fetch, push and ensure refreshes) and the leftovers of failed clones (`.new-*`) as old.
 * Never a mirror in use: one with a registered worktree whose folder still exists (an agent's
 * worktree, running or kept for inspection), nor one `lock` says is busy — each removal runs inside
 * `lock(path)`, the same per-mirror lock every git operation takes, and re-checks there.
 */
export async function collectMirrors(o: { home: string; maxIdleMs: number; now?: number; lock: <T>(path: string, fn: () => Promise<T>) => Promise<T> }): Promise<MirrorGcReport> {
  const root = join(o.home, 'mirrors');
  const report: MirrorGcReport = { removed: [], keptInUse: [] };
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.endsWith('.git') && !name.startsWith('.new-')) continue;
    const path = join(root, name);
    await o.lock(path, async () => {
      const st = await stat(path).catch(() => undefined);
      if (!st?.isDirectory() || (o.now ?? Date.now()) - st.mtimeMs < o.maxIdleMs) return;
      if (await hasLiveWorktree(path)) return void report.keptInUse.push(path);
      await rm(path, { recursive: true, force: true });
      report.removed.push(path);
    });
  }
  return report;
}

/** A worktree registered in the bare repository (`worktrees/<id>/gitdir` → its `.git` file) still on disk. */
async function hasLiveWorktree(repo: string): Promise<boolean> {
  const ids = await readdir(join(repo, 'worktrees')).catch(() => [] as string[]);
  for (const id of ids) {
    const gitdir = (await readFile(join(repo, 'worktrees', id, 'gitdir'), 'utf8').catch(() => '')).trim();
    // Unreadable registration: count it as in use rather than risk a worktree's objects.
    if (!gitdir || (await stat(gitdir).then(() => true, () => false))) return true;
  }
  return false;
}
