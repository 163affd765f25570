import { isTransientGitError } from './transient-errors';

describe('isTransientGitError', () => {
  // Messages captured from git 2.39 while provoking each situation by hand.
  it.each([
    "fatal: cannot lock ref 'refs/heads/godel/t/a': Unable to create '/r/.git/refs/heads/godel/t/a.lock': File exists.\n\nAnother git process seems to be running in this repository",
    "fatal: Unable to create '/r/.git/index.lock': File exists.",
    'error: could not lock config file .git/config: File exists\nerror: unable to write upstream branch configuration',
    "error: could not delete reference refs/heads/pp: Unable to create '/r/.git/packed-refs.lock': File exists.",
    "error: cannot lock ref 'refs/heads/godel/t1/a9': Unable to create '/r/.git/refs/heads/godel/t1/a9.lock': No such file or directory",
    // German translation: only the lock path is language-independent.
    "fatal: Konnte '/r/.git/index.lock' nicht erstellen: Die Datei existiert bereits.",
    "fatal: Konnte '/r/.git/refs/heads/x.lock' nicht erstellen: Die Datei existiert bereits.",
    "Preparing worktree (new branch 'godel/t/a0')\nfatal: failed to read .git/worktrees/a9/commondir: Success",
    "Preparing worktree (new branch 'godel/t/coordinator')\nfatal: could not create directory of '.git/worktrees/coordinator': No such file or directory",
  ])('is transient: %s', (stderr) => {
    expect(isTransientGitError(stderr)).toBe(true);
  });

  it.each([
    "fatal: cannot lock ref 'refs/heads/zz/x': 'refs/heads/zz' exists; cannot create 'refs/heads/zz/x'",
    "fatal: cannot lock ref 'refs/heads/x': reference already exists",
    "fatal: cannot lock ref 'HEAD': is at 1111111 but expected 2222222",
    "fatal: a branch named 'godel/t/a' already exists",
    "fatal: '/w/t/a' already exists",
    "fatal: invalid reference: nope",
    '',
  ])('is not transient: %s', (stderr) => {
    expect(isTransientGitError(stderr)).toBe(false);
  });
});
