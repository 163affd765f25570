/** Answer of PathGuard.check. */
export interface PathCheck {
  /** True when the path, with `..` and every symlink resolved, stays inside the worktree. */
  inside: boolean;
  requestedPath: string;
  /** Where the OS would actually land (symlinks followed, `..` applied). */
  resolvedPath: string;
  /** Path relative to the worktree root when inside. */
  relativePath?: string;
  /** Set when outside: why. */
  reason?: 'outside' | 'symlink_loop' | 'invalid';
}
