import { execFileSync } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { inheritedEnv } from '@godel/config';
import { HARDENED_GIT_CONFIG } from '@godel/workspace';

/** git's whole environment here: the lookup path, no system or global git config (no signing, hooks or templates of the user's). */
export function gitEnv(): Record<string, string> {
  const path = inheritedEnv().PATH;
  return { ...(path ? { PATH: path } : {}), LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
}

function git(cwd: string, env: Record<string, string>, ...args: string[]): void {
  execFileSync('git', [...HARDENED_GIT_CONFIG, '-c', 'user.name=Godel Sample', '-c', 'user.email=sample@godel.invalid', ...args], { cwd, stdio: 'ignore', env });
}

/**
 * `godel do --sample`: a git repository at `<root>/<name of source>` on branch main with one
 * commit of a copy of `source` (the bundled examples/calc). Tests that need the sample use this
 * one too (libs/testing has `createSampleRepo` for repositories of given files).
 */
export async function copySampleRepo(root: string, source: string): Promise<string> {
  const repo = join(root, source.split('/').filter(Boolean).pop()!);
  await cp(source, repo, { recursive: true });
  const env = gitEnv();
  git(repo, env, 'init', '-q', '-b', 'main');
  git(repo, env, 'add', '.');
  git(repo, env, 'commit', '-qm', 'the sample repository');
  return repo;
}
