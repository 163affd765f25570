import type { WorktreeStatus } from '../worktree-metadata';

export interface CleanupPolicy {
  /** Remove worktrees whose branch has commits of its own that are all in the target. */
  onMerged: boolean;
  /** Remove worktrees created at least this long ago. `Infinity` disables; 0 expires everything. */
  ttlMs: number;
  /** Keep worktrees whose metadata status is `failed`, whatever their age or merge state. */
  keepFailed: boolean;
}

export type RemoveReason =
  /** branch merged into the target */
  | 'merged'
  /** older than the TTL */
  | 'ttl'
  /** the folder is already gone (half-removed); only git's record is left */
  | 'missing'
  /** the folder is left but git's record is gone (half-removed the other way) */
  | 'orphaned';

export type KeepReason =
  /** the agent is live: never touched */
  | 'live'
  /** locked with `git worktree lock` */
  | 'locked'
  /** status failed and policy.keepFailed */
  | 'failed'
  /** not merged and younger than the TTL */
  | 'fresh'
  /** no metadata and no creation time: age unknown, so the TTL cannot apply */
  | 'unknown_age';

export type CleanupDecision = { action: 'remove'; reason: RemoveReason } | { action: 'keep'; reason: KeepReason };

export interface CleanupFacts {
  live: boolean;
  locked: boolean;
  /** The worktree folder no longer exists. */
  folderMissing: boolean;
  /** git no longer knows the worktree, but the folder is there. */
  orphaned: boolean;
  status?: WorktreeStatus;
  /** Epoch ms; undefined when unknown. */
  createdAtMs?: number;
  /** Branch has commits of its own and they are all in the target. */
  merged: boolean;
}

/**
 * The whole cleanup rule, in order: a live agent's worktree is never removed; then a locked one is
 * kept; a half-removed one is finished off; a failed one is kept when asked; then merged, then TTL.
 */
export function decideCleanup(facts: CleanupFacts, policy: CleanupPolicy, nowMs: number): CleanupDecision {
  if (facts.live) return { action: 'keep', reason: 'live' };
  if (facts.locked) return { action: 'keep', reason: 'locked' };
  if (facts.folderMissing) return { action: 'remove', reason: 'missing' };
  if (facts.orphaned) return { action: 'remove', reason: 'orphaned' };
  if (policy.keepFailed && facts.status === 'failed') return { action: 'keep', reason: 'failed' };
  if (policy.onMerged && facts.merged) return { action: 'remove', reason: 'merged' };
  if (facts.createdAtMs === undefined) return { action: 'keep', reason: 'unknown_age' };
  if (nowMs - facts.createdAtMs >= policy.ttlMs) return { action: 'remove', reason: 'ttl' };
  return { action: 'keep', reason: 'fresh' };
}
