import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createGitRunner, type GitRunner } from '../src/git/git-runner';

/**
 * A real git repository in a fresh temp dir, for integration tests (nothing mocked: real git,
 * real file system). `dispose()` deletes everything, worktrees included.
 */
export interface TempRepo {
  /** Temp dir holding everything below. */
  dir: string;
  /** Main working tree. */
  repo: string;
  /** Where worktrees go (outside the repo). */
  worktreesRoot: string;
  git: GitRunner;
  /** Runs git in `cwd` (default the main tree) and returns trimmed stdout. */
  run(args: string[], cwd?: string): Promise<string>;
  /** Writes files (relative to `cwd`), commits them, returns the new commit. */
  commit(files: Record<string, string>, message: string, cwd?: string): Promise<string>;
  dispose(): Promise<void>;
}

export async function makeTempRepo(files: Record<string, string> = { 'README.md': '# test\n' }): Promise<TempRepo> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'godel-ws-')));
  const repo = join(dir, 'repo');
  const worktreesRoot = join(dir, 'worktrees');
  await mkdir(repo);
  const git = createGitRunner({ timeoutMs: 20_000 });
  const run = async (args: string[], cwd = repo) => (await git(args, { cwd })).stdout.trim();
  await run(['init', '-q', '-b', 'main']);
  // Repository-local identity: agents commit from worktrees, which share this config.
  await run(['config', 'user.name', 'Godel Test']);
  await run(['config', 'user.email', 'test@godel.invalid']);
  await run(['config', 'commit.gpgsign', 'false']);
  const commit = async (content: Record<string, string>, message: string, cwd = repo) => {
    for (const [file, text] of Object.entries(content)) {
      await mkdir(dirname(join(cwd, file)), { recursive: true });
      await writeFile(join(cwd, file), text);
    }
    await run(['add', '--', ...Object.keys(content)], cwd);
    await run(['commit', '-q', '--no-verify', '-m', message], cwd);
    return run(['rev-parse', 'HEAD'], cwd);
  };
  await commit(files, 'initial');
  return { dir, repo, worktreesRoot, git, run, commit, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh empty temp dir that is not inside any git repository. */
export async function makeTempDir(): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'godel-ws-')));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}
