import { dirname } from 'node:path';
import { decideCleanup } from './cleanup/cleanup-policy';
import { branchName } from './names';
import { findOrphanFolders, ownedLayout, removeFolder, removeIfEmpty } from './worktree-files';
import { adminDirCreatedAt, adminDirLockedAt, adminDirsByWorktree } from './worktree-metadata';
import { CREATING_LOCK_REASON, errorJson, repoLocks, type WorktreeOps } from './worktree-ops';
import type { CleanupOptions, CleanupReport, WorktreeInfo } from './worktree-types';

/** A worktree still locked as "creating" after this long belongs to a create that crashed. */
const STALE_CREATE_MS = 10 * 60_000;

/**
 * WorktreeManager.cleanup: the policy (decideCleanup) applied to every worktree of ours and to
 * folders git forgot, with the repository lock held; `isLive` is asked right before each removal.
 */
export async function cleanupWorktrees(ops: WorktreeOps, list: () => Promise<WorktreeInfo[]>, options: CleanupOptions, clock: () => number): Promise<CleanupReport> {
  const repo = await ops.repo();
  const root = await ops.root();
  const nowMs = options.now === undefined ? clock() : typeof options.now === 'number' ? options.now : options.now.getTime();
  const report: CleanupReport = { removed: [], kept: [], failed: [] };
  return repoLocks.run(repo.commonDir, async () => {
    const worktrees = await list();
    const adminDirs = await adminDirsByWorktree(repo.commonDir);
    const targets = new Map<string, string | undefined>();
    for (const wt of worktrees) {
      const metadata = options.lookupMetadata ? await options.lookupMetadata(wt) : wt.metadata;
      const adminDir = adminDirs.get(wt.path);
      const createdAtMs = metadata ? Date.parse(metadata.createdAt) : adminDir ? (await adminDirCreatedAt(adminDir))?.getTime() : undefined;
      const live = await options.isLive(wt.agent, wt);
      const merged = !live && options.policy.onMerged ? await ops.isMerged(wt, metadata, options.policy.target, targets) : false;
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
        await ops.removeRegistered(wt, true, crashedCreate);
        await removeIfEmpty(dirname(wt.path));
        const deleteBranch = decision.reason === 'merged' && options.policy.deleteMergedBranches !== false;
        const branchDeleted = deleteBranch ? await ops.deleteBranch(branchName(wt.team, wt.agent)) : false;
        report.removed.push({ path: wt.path, team: wt.team, agent: wt.agent, reason: decision.reason, branchDeleted });
      } catch (err) {
        report.failed.push({ path: wt.path, team: wt.team, agent: wt.agent, reason: decision.reason, error: errorJson(err) });
      }
    }
    const registered = new Set((await ops.porcelain()).map((e) => e.path));
    for (const folder of await findOrphanFolders(root, repo.commonDir, registered)) {
      const owner = ownedLayout(root, folder) as { team: string; agent: string };
      const info: WorktreeInfo = { path: folder, ...owner, folderMissing: false };
      const live = await options.isLive(owner.agent, info);
      const decision = decideCleanup({ live, locked: false, folderMissing: false, orphaned: true, merged: false }, options.policy, nowMs);
      if (decision.action === 'keep') {
        report.kept.push({ path: folder, ...owner, reason: decision.reason });
        continue;
      }
      if (!(await ops.isOrphan(folder))) continue; // registered meanwhile (another process creating it)
      try {
        await removeFolder(folder, ops.sharedDirs);
        await removeIfEmpty(dirname(folder));
        report.removed.push({ path: folder, ...owner, reason: 'orphaned', branchDeleted: false });
      } catch (err) {
        report.failed.push({ path: folder, ...owner, reason: 'orphaned', error: errorJson(err) });
      }
    }
    return report;
  });
}
