import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeOrphanSlot } from '@godel/workspace';

/** Pool folders of live pools in this process (several hosts of one process may share a root). */
const LIVE = new Set<string>();

/**
 * The warm pool's folders: `<rootDir>/.pool/<pid>-<random>/` per pool, so a server that starts
 * can tell its own slots from those a crashed server left (`removeOrphans`). Two servers sharing
 * a root never remove each other's slots: a folder is an orphan only when the process named in it
 * is gone, or is this process but no live pool of it owns the folder (a restart that reused the pid,
 * as pid 1 in a container does).
 */
export function ownPoolDir(rootDir: string): string {
  const dir = join(rootDir, '.pool', `${process.pid}-${randomUUID().slice(0, 8)}`);
  LIVE.add(dir);
  return dir;
}

export function releasePoolDir(dir: string): Promise<void> {
  LIVE.delete(dir);
  return rm(dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the slots (git's worktree records too) and folders of pools whose process is gone. */
export async function removeOrphans(rootDir: string): Promise<{ pools: number; slots: number }> {
  const base = join(rootDir, '.pool');
  const names = await readdir(base).catch(() => [] as string[]);
  let pools = 0;
  let slots = 0;
  for (const name of names) {
    const dir = join(base, name);
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || LIVE.has(dir) || (pid !== process.pid && alive(pid))) continue;
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      if (!entry.startsWith('slot-')) continue;
      await removeOrphanSlot(join(dir, entry));
      slots++;
    }
    await rm(dir, { recursive: true, force: true });
    pools++;
  }
  return { pools, slots };
}
