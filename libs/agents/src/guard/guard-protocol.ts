/**
 * What Godel and the path-guard extension (running inside pi) agree on: environment variables, the
 * marker on refusals, and the `guard.denied` record. Loaded by pi at runtime too, so: no imports.
 */

/** Environment variables the launcher sets for the extension. */
export const GUARD_ENV = {
  /** Absolute path of the agent's worktree: every tool path must resolve inside it. */
  worktree: 'GODEL_WORKTREE',
  /** Absolute path of the JSONL file denials are appended to (outside the worktree). Optional. */
  log: 'GODEL_GUARD_LOG',
  /** JSON array of absolute paths the read-only tools (read, ls, grep, find) may also use. Optional. */
  readRoots: 'GODEL_GUARD_READ_ROOTS',
} as const;

/** Every reason the model sees for a refused tool call starts with this. */
export const GUARD_REASON_PREFIX = '[godel-guard]';

/** `ctx.ui.notify` message carrying a denial on pi's RPC stdout: this prefix, then the record as JSON. */
export const GUARD_NOTIFY_PREFIX = 'godel-guard.denied ';

export const GUARD_DENIED = 'guard.denied';

/** Why a tool call was refused. */
export type GuardRule =
  /** A path resolves outside the worktree (after `..`, `~` and symlinks). */
  | 'outside'
  /** A bash command names the home directory (`~`, `$HOME`, a bare `cd`). */
  | 'home'
  | 'symlink_loop'
  /** A path argument that is not a usable string (e.g. contains NUL). */
  | 'invalid'
  /** A tool the guard does not know how to check: refused rather than let through. */
  | 'unknown_tool'
  /** The check itself failed (e.g. EACCES while resolving); refused rather than let through. */
  | 'guard_error';

export interface GuardFinding {
  /** The path as the tool call gave it (for bash: as written in the command). */
  path: string;
  /** Where it lands with `..`, `~` and symlinks applied (absent for `~`/`$HOME` in bash). */
  resolvedPath?: string;
  rule: GuardRule;
}

/** One refused tool call: a line of the guard log, and the payload of the notify event. */
export interface GuardDenial {
  type: typeof GUARD_DENIED;
  /** ISO time of the refusal. */
  at: string;
  /** pid of the pi process that refused. */
  pid: number;
  worktree: string;
  /** pi's working directory (relative paths start here). */
  cwd: string;
  toolName: string;
  /** pi's id of the tool call; the matching `tool_execution_end` event carries the same id. */
  toolCallId: string;
  /** The tool's arguments as the model sent them (large string values cut to 2,000 characters). */
  input: Record<string, unknown>;
  findings: GuardFinding[];
  /** Exactly what the model was told (starts with GUARD_REASON_PREFIX). */
  reason: string;
}
