/**
 * Stable codes of every error this lib throws. Callers match on `code` (errors cross process
 * boundaries as JSON), never on `instanceof`.
 */
export type WorkspaceErrorCode =
  | 'workspace.not_a_repo'
  | 'workspace.dirty_base'
  | 'workspace.unknown_ref'
  | 'workspace.invalid_name'
  | 'workspace.already_exists'
  | 'workspace.not_managed'
  | 'workspace.dirty_worktree'
  | 'workspace.worktree_locked'
  | 'workspace.locked'
  | 'workspace.path_escape'
  | 'workspace.git_failed'
  | 'workspace.bad_url'
  | 'workspace.unreachable'
  | 'workspace.auth_failed'
  | 'workspace.non_fast_forward'
  | 'workspace.push_refused'
  | 'workspace.remote_ref_missing';

/** A git lock held by someone else, a remote that is down or moved on go away by themselves (fetch again); everything else needs a change first. */
const RETRYABLE: ReadonlySet<WorkspaceErrorCode> = new Set(['workspace.locked', 'workspace.unreachable', 'workspace.non_fast_forward']);

/**
 * Domain error of libs/workspace. Same shape as the project's GodelError (`code`, `retryable`,
 * `details`, `toJSON`) but defined here because this lib depends on node built-ins and git only.
 */
export class WorkspaceError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: WorkspaceErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'WorkspaceError';
    this.retryable = RETRYABLE.has(code);
  }

  toJSON(): { code: string; message: string; retryable: boolean; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/** True when `err` carries the given workspace error code (works on deserialised errors too). */
export function isWorkspaceError(err: unknown, code?: WorkspaceErrorCode): err is WorkspaceError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' && (code === undefined ? c.startsWith('workspace.') : c === code);
}
