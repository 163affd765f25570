/**
 * Recognises git failures caused by another git process working on the same repository at the
 * same moment: a lock file it holds (or held and crashed), or a worktree it is half-way through
 * creating. These are worth retrying; a ref name conflict or a compare-and-swap failure is not.
 *
 * Messages observed on git 2.39 (see transient-errors.spec.ts):
 * - `cannot lock ref 'refs/heads/x': Unable to create '.../refs/heads/x.lock': File exists.`
 * - `Unable to create '.../index.lock': File exists.`
 * - `error: could not lock config file .git/config: File exists` (branch upstream setup)
 * - `could not delete reference refs/heads/x: Unable to create '.../packed-refs.lock': File exists.`
 * - `Unable to create '.../x.lock': No such file or directory` (a concurrent pack-refs pruned the
 *   directory under us)
 * - `fatal: failed to read .git/worktrees/a9/commondir: Success` (`git worktree add` lists the
 *   other worktrees while a concurrent `worktree add` has made `worktrees/a9/` but not yet its
 *   files; 54 of 300 raw concurrent adds failed so, 15 rounds of 20)
 * - `fatal: could not create directory of '.git/worktrees/coordinator': No such file or directory`
 *   (a concurrent `worktree remove`/`prune` of the last other worktree — e.g. the refinery's scratch
 *   worktree — deleted the empty `.git/worktrees` between this add's two mkdirs; seen in CI)
 * The lock paths appear verbatim even in translated messages, so matching `.lock'` keeps working
 * under a non-English LC_MESSAGES.
 */
export function isTransientGitError(stderr: string): boolean {
  if (NOT_TRANSIENT.some((re) => re.test(stderr))) return false;
  return TRANSIENT.some((re) => re.test(stderr));
}

const TRANSIENT: readonly RegExp[] = [
  /\.lock'/, // "Unable to create '<path>.lock': <errno text>": the quoted lock path survives translation
  /could not lock config file/i,
  /unable to lock/i,
  /index\.lock/,
  /worktrees\/[^/\s]+\/(commondir|gitdir|HEAD|locked)\b/, // a sibling worktree being created or removed
  /could not create directory of '[^']*worktrees\//, // the empty worktrees folder removed under us
];

const NOT_TRANSIENT: readonly RegExp[] = [
  /exists; cannot create/, // D/F conflict: refs/heads/a exists, so refs/heads/a/b cannot be made
  /reference already exists/,
  /but expected/, // compare-and-swap on a ref lost: a real conflict
];
