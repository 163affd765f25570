/**
 * WorktreeManager against real git and a real file system (temp repos): create, list, remove,
 * statuses, repository validation and shared dependency folders. Nothing is mocked.
 * (Concurrency and git locks: worktree-concurrency.int-spec.ts.)
 */
import { lstat, mkdir, readFile, readlink, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWorkspaceError } from '../src/errors/workspace-error';
import { WorktreeManager } from '../src/worktree-manager';
import { makeTempDir } from './temp-repo';
import { expectCode, managerOf, tempRepoPerTest } from './worktree-test-kit';

jest.setTimeout(60_000);

const t = tempRepoPerTest();
const manager = (extra: Parameters<typeof managerOf>[1] = {}) => managerOf(t, extra);

describe('create / commit / list / remove', () => {
  it('creates a worktree on godel/<team>/<agent> at the base commit, isolated from the main tree', async () => {
    const base = await t.run(['rev-parse', 'HEAD']);
    const m = manager({ clock: () => Date.parse('2030-01-02T03:04:05Z') });

    const wt = await m.create({ team: 'auth', agent: 'a1', baseRef: 'main' });

    expect(wt).toMatchObject({ path: join(t.worktreesRoot, 'auth', 'a1'), branch: 'godel/auth/a1', baseCommit: base, team: 'auth', agent: 'a1' });
    expect(await t.run(['rev-parse', '--abbrev-ref', 'HEAD'], wt.path)).toBe('godel/auth/a1');
    expect(await readFile(join(wt.path, 'src/index.ts'), 'utf8')).toBe('export {};\n');

    const commit = await t.commit({ 'src/feature.ts': 'export const x = 1;\n' }, 'agent work', wt.path);
    expect(await t.run(['rev-parse', 'godel/auth/a1'])).toBe(commit);
    expect(await t.run(['rev-parse', 'main'])).toBe(base); // the main branch did not move
    expect(await t.run(['status', '--porcelain'])).toBe(''); // nor did the main working tree change

    const listed = await m.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ path: wt.path, team: 'auth', agent: 'a1', branch: 'godel/auth/a1', head: commit, folderMissing: false });
    expect(listed[0].metadata).toMatchObject({ team: 'auth', agent: 'a1', baseRef: 'main', baseCommit: base, status: 'active', createdAt: '2030-01-02T03:04:05.000Z' });

    const removed = await m.remove(wt.path);
    expect(removed).toEqual({ path: wt.path, removed: true, branchDeleted: false });
    await expect(lstat(wt.path)).rejects.toThrow();
    expect(await m.list()).toEqual([]);
    expect(await t.run(['rev-parse', 'godel/auth/a1'])).toBe(commit); // work kept on the branch

    expect(await m.remove(wt.path, { deleteBranch: true })).toEqual({ path: wt.path, removed: false, branchDeleted: true });
    await expect(t.run(['rev-parse', '--verify', '--quiet', 'refs/heads/godel/auth/a1'])).rejects.toThrow();
  });

  it('lists only its own worktrees', async () => {
    await t.run(['worktree', 'add', '-q', '-b', 'someone-else', join(t.dir, 'elsewhere'), 'main']);
    const m = manager();
    await m.create({ team: 't', agent: 'mine', baseRef: 'main' });
    expect((await m.list()).map((w) => w.agent)).toEqual(['mine']);
    await expectCode(m.remove(join(t.dir, 'elsewhere')), 'workspace.not_managed');
    await expectCode(m.remove(t.repo), 'workspace.not_managed');
  });

  it('refuses to remove a dirty worktree without force, and removes it with force', async () => {
    const m = manager();
    const wt = await m.create({ team: 't', agent: 'a', baseRef: 'HEAD' });
    await writeFile(join(wt.path, 'README.md'), 'changed\n');
    await expectCode(m.remove(wt.path), 'workspace.dirty_worktree');
    expect(await m.list()).toHaveLength(1);
    expect((await m.remove(wt.path, { force: true })).removed).toBe(true);
    expect(await m.list()).toEqual([]);
  });

  it('refuses a second worktree for the same agent', async () => {
    const m = manager();
    await m.create({ team: 't', agent: 'a', baseRef: 'main' });
    await expectCode(m.create({ team: 't', agent: 'a', baseRef: 'main' }), 'workspace.already_exists');
    expect(await m.list()).toHaveLength(1);
  });

  it.each([['..'], ['a/b'], ['../x'], ['Agent'], [''], ['-x'], ['x.lock'], ['a..b'], ['x y'], ['x.']])('rejects the agent name %j', async (agent) => {
    await expectCode(manager().create({ team: 't', agent, baseRef: 'main' }), 'workspace.invalid_name');
    await expect(lstat(t.worktreesRoot)).rejects.toThrow(); // nothing was created
  });

  it('runs the post-checkout hook in the new worktree like git worktree add does', async () => {
    const log = join(t.dir, 'hook.log');
    await writeFile(join(t.repo, '.git', 'hooks', 'post-checkout'), `#!/bin/sh\necho "$1 $2 $3 $(pwd) $(ls src)" >> ${log}\n`, { mode: 0o755 });
    const wt = await manager().create({ team: 't', agent: 'a', baseRef: 'main' });
    expect(await readFile(log, 'utf8')).toBe(`${'0'.repeat(40)} ${wt.baseCommit} 1 ${wt.path} index.ts\n`);
  });

  it('records a status', async () => {
    const m = manager();
    const wt = await m.create({ team: 't', agent: 'a', baseRef: 'main' });
    await m.setStatus(wt.path, 'failed');
    expect((await m.list())[0].metadata?.status).toBe('failed');
  });
});

describe('validateRepo errors', () => {
  it('workspace.not_a_repo for a plain folder and for a missing path', async () => {
    const plain = await makeTempDir();
    try {
      const m = new WorktreeManager({ repoPath: plain.dir, worktreesRoot: join(plain.dir, 'wt') });
      const err = await m.validateRepo().catch((e: unknown) => e);
      expect(isWorkspaceError(err, 'workspace.not_a_repo')).toBe(true);
      expect((err as { retryable: boolean }).retryable).toBe(false);
      await expectCode(m.create({ team: 't', agent: 'a', baseRef: 'HEAD' }), 'workspace.not_a_repo');
      await expectCode(new WorktreeManager({ repoPath: join(plain.dir, 'missing'), worktreesRoot: plain.dir }).validateRepo(), 'workspace.not_a_repo');
    } finally {
      await plain.dispose();
    }
  });

  it('workspace.dirty_base when tracked files have uncommitted changes and a clean base is required', async () => {
    await writeFile(join(t.repo, 'README.md'), 'edited, not committed\n');
    const m = manager();
    const err = await m.validateRepo({ requireClean: true }).catch((e: unknown) => e);
    expect(isWorkspaceError(err, 'workspace.dirty_base')).toBe(true);
    expect((err as { details: { paths: string[] } }).details.paths).toEqual(['README.md']);
    await expectCode(m.create({ team: 't', agent: 'a', baseRef: 'main' }), 'workspace.dirty_base');
    await expect(m.validateRepo({ requireClean: false })).resolves.toMatchObject({ root: t.repo });
    const relaxed = await manager({ requireCleanBase: false }).create({ team: 't', agent: 'a', baseRef: 'main' });
    expect(await readFile(join(relaxed.path, 'README.md'), 'utf8')).toBe('# demo\n'); // the committed base
  });

  it('staged changes are dirty too; untracked files are not', async () => {
    await writeFile(join(t.repo, 'scratch.txt'), 'untracked\n');
    await expect(manager().validateRepo({ requireClean: true })).resolves.toBeDefined();
    await t.run(['add', 'scratch.txt']);
    await expectCode(manager().validateRepo({ requireClean: true }), 'workspace.dirty_base');
  });

  it('workspace.unknown_ref for a missing ref, an option-like ref and an unborn HEAD', async () => {
    const m = manager();
    await expectCode(m.validateRepo({ baseRef: 'no-such-branch' }), 'workspace.unknown_ref');
    await expectCode(m.create({ team: 't', agent: 'a', baseRef: 'no-such-branch' }), 'workspace.unknown_ref');
    await expectCode(m.create({ team: 't', agent: 'a', baseRef: '--output=/tmp/x' }), 'workspace.unknown_ref');
    expect(await m.list()).toEqual([]);
    const tag = await m.validateRepo({ baseRef: 'main~0' });
    expect(tag.baseCommit).toBe(await t.run(['rev-parse', 'HEAD']));

    const empty = await makeTempDir();
    try {
      await t.run(['init', '-q', '-b', 'main', empty.dir]);
      await expectCode(new WorktreeManager({ repoPath: empty.dir, worktreesRoot: join(empty.dir, 'wt') }).validateRepo({ baseRef: 'HEAD' }), 'workspace.unknown_ref');
    } finally {
      await empty.dispose();
    }
  });
});

describe('shared dependency folders', () => {
  it('symlinks existing shared folders, hides them from git status and commits, and never deletes their content', async () => {
    // A typical repo ignores `node_modules/`, which does NOT match a symlink; `.venv` is not ignored at all.
    await t.commit({ '.gitignore': 'node_modules/\n', 'vendor/lib.go': 'package lib\n' }, 'ignore deps, vendor tracked');
    await mkdir(join(t.repo, 'node_modules', 'left-pad'), { recursive: true });
    await writeFile(join(t.repo, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;\n');
    await mkdir(join(t.repo, '.venv', 'bin'), { recursive: true });
    const m = manager({ sharedDirs: ['node_modules', '.venv', 'vendor', 'target'] });

    const wt = await m.create({ team: 't', agent: 'a', baseRef: 'main' });

    expect(wt.sharedLinks).toEqual(['node_modules', '.venv']); // vendor is tracked, target does not exist
    expect(await readlink(join(wt.path, 'node_modules'))).toBe(await realpath(join(t.repo, 'node_modules')));
    expect(await readFile(join(wt.path, 'node_modules', 'left-pad', 'index.js'), 'utf8')).toBe('module.exports = 1;\n');
    expect((await lstat(join(wt.path, 'vendor'))).isSymbolicLink()).toBe(false);
    expect(await t.run(['status', '--porcelain', '--untracked-files=all'], wt.path)).toBe('');

    await t.run(['add', '-A'], wt.path); // what a careless agent does
    await t.commit({ 'feature.txt': 'x\n' }, 'agent commit', wt.path);
    const committed = (await t.run(['ls-tree', '-r', '--name-only', 'HEAD'], wt.path)).split('\n');
    expect(committed).not.toContain('node_modules');
    expect(committed.some((p) => p.startsWith('.venv'))).toBe(false);

    await m.remove(wt.path, { force: true });
    expect(await readFile(join(t.repo, 'node_modules', 'left-pad', 'index.js'), 'utf8')).toBe('module.exports = 1;\n');
    expect((await lstat(join(t.repo, '.venv', 'bin'))).isDirectory()).toBe(true);
  });

  it('writes the exclude block once, however many worktrees', async () => {
    await mkdir(join(t.repo, 'node_modules'));
    const m = manager({ sharedDirs: ['node_modules'] });
    await m.create({ team: 't', agent: 'a', baseRef: 'main' });
    await m.create({ team: 't', agent: 'b', baseRef: 'main' });
    const exclude = await readFile(join(t.repo, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.match(/^\/node_modules$/gm)).toHaveLength(1);
  });

  it('rejects shared dir names that could escape or inject patterns', () => {
    for (const dir of ['../x', '/abs', 'a/../b', 'node_*', '.git/hooks', '']) {
      expect(() => manager({ sharedDirs: [dir] })).toThrow(expect.objectContaining({ code: 'workspace.invalid_name' }));
    }
  });
});
