import { execFileSync } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { HARDENED_GIT_CONFIG } from '@godel/workspace';

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', [...HARDENED_GIT_CONFIG, '-c', 'user.name=Godel Sample', '-c', 'user.email=sample@godel.invalid', ...args], { cwd, stdio: 'ignore' });
}

/**
 * `godel do --sample`: a git repository at `<root>/<name of source>` on branch main with one
 * commit of a copy of `source` (the bundled examples/calc). Tests have their own fixture
 * (`copySampleRepo` of @godel/testing).
 */
export async function copySampleRepo(root: string, source: string): Promise<string> {
  const repo = join(root, source.split('/').filter(Boolean).pop()!);
  await cp(source, repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'the sample repository');
  return repo;
}
