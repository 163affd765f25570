export { WorktreeManager, CREATING_LOCK_REASON } from './worktree-manager';
export type {
  WorktreeManagerOptions,
  CreateWorktreeRequest,
  CreatedWorktree,
  WorktreeInfo,
  RemoveWorktreeOptions,
  RemoveResult,
  CleanupOptions,
  CleanupReport,
} from './worktree-types';
export type { WorktreeMetadata, WorktreeStatus } from './worktree-metadata';
export { decideCleanup } from './cleanup/cleanup-policy';
export type { CleanupPolicy, CleanupFacts, CleanupDecision, RemoveReason, KeepReason } from './cleanup/cleanup-policy';
export { PathGuard } from './guard/path-guard';
export type { PathGuardOptions } from './guard/path-guard';
export type { PathCheck } from './guard/path-check';
export type { BashCheckResult, BashFinding } from './guard/bash-path-check';
export { WorkspaceError, isWorkspaceError } from './errors/workspace-error';
export { linkSharedDirs } from './worktree-files';
export type { WorkspaceErrorCode } from './errors/workspace-error';
export { createGitRunner, HARDENED_GIT_CONFIG } from './git/git-runner';
export type { GitRunner, GitRunnerOptions } from './git/git-runner';
export { DEFAULT_LOCK_RETRY } from './git/lock-retry';
export type { LockRetryPolicy } from './git/lock-retry';
export { nameProblem, branchName, parseBranchName } from './names';
