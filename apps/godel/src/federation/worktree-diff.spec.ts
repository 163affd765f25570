import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inheritedEnv } from '@godel/config';
import { worktreeDiff } from './worktree-diff';

const PATH = inheritedEnv().PATH ?? '/usr/bin:/bin';
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: { PATH, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).toString().trim();

describe('worktreeDiff (real git)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'godel-diff-'));
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('lists committed, modified and untracked files against the base, with their diff; refuses paths outside the worktrees folder', async () => {
    const wt = join(root, 'worktrees', 'team', 'w1');
    await mkdir(wt, { recursive: true });
    git(wt, 'init', '-q', '-b', 'main');
    await writeFile(join(wt, 'a.txt'), 'a\n');
    git(wt, 'add', '.');
    git(wt, 'commit', '-qm', 'base');
    const base = git(wt, 'rev-parse', 'HEAD');
    await writeFile(join(wt, 'b.txt'), 'b\n');
    git(wt, 'add', '.');
    git(wt, 'commit', '-qm', 'b');
    await writeFile(join(wt, 'a.txt'), 'a2\n');
    await writeFile(join(wt, 'new.txt'), 'fresh\nlines\n');
    const d = await worktreeDiff({ agent: 'agent/team:w1', instance: 'i-x', worktree: wt, base, worktreesRoot: join(root, 'worktrees'), path: PATH });
    expect(d.files).toEqual([
      { path: 'a.txt', status: 'M' },
      { path: 'b.txt', status: 'A' },
      { path: 'new.txt', status: '?' },
    ]);
    expect(d.diff).toContain('+a2');
    expect(d.diff).toContain('+b');
    expect(d.diff).toContain('+++ b/new.txt\n@@ -0,0 +1,2 @@\n+fresh\n+lines');
    expect(d.head).toBe(git(wt, 'rev-parse', 'HEAD'));
    // No base known: what is not committed yet; a worktree with no change: nothing.
    const uncommitted = await worktreeDiff({ agent: 'agent/team:w1', instance: 'i-x', worktree: wt, worktreesRoot: join(root, 'worktrees'), path: PATH });
    expect(uncommitted.files).toEqual([
      { path: 'a.txt', status: 'M' },
      { path: 'new.txt', status: '?' },
    ]);
    expect(uncommitted.diff).not.toContain('+b');
    git(wt, 'add', '.');
    git(wt, 'commit', '-qm', 'all');
    const clean = await worktreeDiff({ agent: 'agent/team:w1', instance: 'i-x', worktree: wt, worktreesRoot: join(root, 'worktrees'), path: PATH });
    expect({ files: clean.files, diff: clean.diff }).toEqual({ files: [], diff: '' });
    // A worktree folder that is gone: not found (not git's error).
    await expect(worktreeDiff({ agent: 'agent/team:w1', instance: 'i-x', worktree: join(root, 'worktrees', 'team', 'gone'), base, worktreesRoot: join(root, 'worktrees'), path: PATH })).rejects.toMatchObject({ code: 'resource.not_found' });
    await expect(worktreeDiff({ agent: 'agent/team:w1', instance: 'i-x', worktree: root, base, worktreesRoot: join(root, 'worktrees'), path: PATH })).rejects.toMatchObject({ code: 'resource.not_found' });
  });
});
