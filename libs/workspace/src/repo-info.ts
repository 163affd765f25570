import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { WorkspaceError } from './errors/workspace-error';
import { gitExitCode, gitStderr, type GitRunner } from './git/git-runner';
import { baseRefProblem } from './names';

export interface RepoInfo {
  /** Real path of the main working tree. */
  root: string;
  /** Real path of the git common dir (`.git` of the main working tree). */
  commonDir: string;
  /** A bare repository (a mirror): `root` is the repository itself. */
  bare?: boolean;
}

/** Finds the repository containing `repoPath`; `workspace.not_a_repo` when there is none. */
export async function inspectRepo(git: GitRunner, repoPath: string, options: { allowBare?: boolean } = {}): Promise<RepoInfo> {
  const notARepo = (reason: string, extra: Record<string, unknown> = {}) =>
    new WorkspaceError('workspace.not_a_repo', `${repoPath} is not a git repository: ${reason}`, { repoPath, reason, ...extra });
  try {
    if (!(await stat(repoPath)).isDirectory()) throw notARepo('not a directory');
  } catch (err) {
    if (err instanceof WorkspaceError) throw err;
    throw notARepo('does not exist');
  }
  let bare: string;
  let commonDir: string;
  let root: string;
  try {
    const first = await git(['rev-parse', '--is-bare-repository', '--git-common-dir'], { cwd: repoPath });
    [bare, commonDir] = first.stdout.split('\n');
    if (bare === 'true' && options.allowBare) {
      const real = await realpath(resolve(repoPath, commonDir));
      return { root: real, commonDir: real, bare: true };
    }
    if (bare === 'true') throw notARepo('bare repositories have no working tree to share folders from');
    root = (await git(['rev-parse', '--show-toplevel'], { cwd: repoPath })).stdout.trim();
  } catch (err) {
    if (err instanceof WorkspaceError && err.code === 'workspace.not_a_repo') throw err;
    throw notARepo(gitStderr(err).trim() || String(err), { stderr: gitStderr(err) });
  }
  return { root: await realpath(root), commonDir: await realpath(resolve(repoPath, commonDir)) };
}

/** The commit `ref` names; `workspace.unknown_ref` when it names none. */
export async function resolveCommit(git: GitRunner, root: string, ref: string): Promise<string> {
  const problem = baseRefProblem(ref);
  if (problem) throw new WorkspaceError('workspace.unknown_ref', `base ref ${JSON.stringify(ref)} ${problem}`, { ref, problem });
  try {
    const { stdout } = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: root });
    return stdout.trim();
  } catch (err) {
    if (gitExitCode(err) === 1 || gitExitCode(err) === 128) {
      throw new WorkspaceError('workspace.unknown_ref', `base ref ${JSON.stringify(ref)} does not name a commit`, { ref });
    }
    throw err;
  }
}

/**
 * Paths with staged or unstaged changes to tracked files (`git status --porcelain -z`, untracked
 * files not counted: they belong to no commit, and dependency/build folders would otherwise make
 * every repo "dirty").
 */
export async function uncommittedChanges(git: GitRunner, root: string): Promise<string[]> {
  // --no-optional-locks: a plain `git status` may take index.lock to refresh the index, which
  // would make the user's own `git commit` in the main tree fail while we look.
  const { stdout } = await git(['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=no'], { cwd: root });
  const entries: string[] = [];
  const fields = stdout.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (field.length < 4) continue;
    entries.push(field.slice(3));
    if (field[0] === 'R' || field[0] === 'C') i++; // rename/copy: the source path follows
  }
  return entries;
}

/** Fails with `workspace.dirty_base` when the main working tree has uncommitted changes. */
export async function assertCleanBase(git: GitRunner, root: string): Promise<void> {
  const changes = await uncommittedChanges(git, root);
  if (changes.length > 0) {
    throw new WorkspaceError('workspace.dirty_base', `${root} has uncommitted changes (${changes.length} path(s)); commit or stash them first`, {
      root,
      paths: changes.slice(0, 20),
      count: changes.length,
    });
  }
}
