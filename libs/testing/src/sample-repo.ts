import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HARDENED_GIT_CONFIG } from '@godel/workspace';
import { gitEnv } from '../../../apps/cli/src/sample-repo';

/** Runs git in `cwd` with a fixed test identity and hooks off (HARDENED_GIT_CONFIG); returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...HARDENED_GIT_CONFIG, '-c', 'user.name=Godel Test', '-c', 'user.email=test@godel.invalid', ...args], { cwd, encoding: 'utf8', env: gitEnv() }).trim();
}

/** A git repository at `<root>/repo` on branch main with one commit of `files` (default a README). */
export async function createSampleRepo(root: string, files: Record<string, string> = { 'README.md': '# sample\n' }): Promise<string> {
  const repo = join(root, 'repo');
  await mkdir(repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(repo, name)), { recursive: true });
    await writeFile(join(repo, name), content);
  }
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'init');
  return repo;
}
