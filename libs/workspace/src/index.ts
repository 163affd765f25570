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
export { KeyedMutex } from './keyed-mutex';
export type { WorkspaceErrorCode } from './errors/workspace-error';
export { createGitRunner, HARDENED_GIT_CONFIG } from './git/git-runner';
export type { GitRunner, GitRunnerOptions } from './git/git-runner';
export { DEFAULT_LOCK_RETRY } from './git/lock-retry';
export type { LockRetryPolicy } from './git/lock-retry';
export { nameProblem, branchName, parseBranchName } from './names';
export { createSlot, removeSlot, removeOrphanSlot } from './worktree-slot';
export { adoptSlot, planAdoption } from './worktree-adopt';
export type { SlotOptions, CreatedSlot } from './worktree-slot';
export type { AdoptSlotRequest, AdoptedSlot, AdoptionPlan, AdoptionPlanRequest } from './worktree-adopt';
export { parseRepoSource, looksLikeUrl, mirrorKey, redactSecrets } from './remote/repo-source';
export type { RepoSource } from './remote/repo-source';
export { RepoMirrors, MIRROR_FETCH_REFSPECS } from './remote/repo-mirror';
export { collectMirrors, touchMirror } from './remote/mirror-gc';
export type { MirrorGcReport } from './remote/mirror-gc';
export { remoteGitRunner, classifyRemoteError } from './remote/remote-git';
export type { GitCredentials, RemoteGitOptions } from './remote/remote-git';
export { workRef, snapshotWorktree, pushAgentWork, restoreAgentWorktree } from './remote/agent-work';
export type { PushedWork, RestoredWorktree } from './remote/agent-work';
export { AgentRepos } from './remote/agent-repos';
