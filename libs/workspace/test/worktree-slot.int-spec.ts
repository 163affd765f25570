/**
 * Warm-pool slots (worktree-slot.ts) against real git and a real file system: a detached slot made
 * ahead of time becomes an agent's worktree exactly as WorktreeManager.create would have made it.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWorkspaceError } from '../src/errors/workspace-error';
import { WorktreeManager } from '../src/worktree-manager';
import { adoptSlot } from '../src/worktree-adopt';
import { createSlot, removeSlot } from '../src/worktree-slot';
import { makeTempRepo, type TempRepo } from './temp-repo';

jest.setTimeout(30_000);

let t: TempRepo;
beforeEach(async () => {
  t = await makeTempRepo({ 'README.md': '# one\n' });
  await mkdir(join(t.repo, 'node_modules', 'dep'), { recursive: true });
});
afterEach(async () => t.dispose());

it('a slot filled at the old HEAD is adopted at the new base: branch, files, metadata, shared links, moved into the layout', async () => {
  const slot = await createSlot({ repoPath: t.repo, path: join(t.dir, 'pool', 'slot-1') });
  expect(await readFile(join(slot.path, 'README.md'), 'utf8')).toBe('# one\n');
  const inode = (await stat(slot.path)).ino;
  const base = await t.commit({ 'README.md': '# two\n' }, 'two');
  const wt = await adoptSlot({ repoPath: t.repo, slot: slot.path, worktreesRoot: t.worktreesRoot, team: 'pool', agent: 'a1', baseRef: 'main', sharedDirs: ['node_modules'] });
  expect(wt).toMatchObject({ path: join(t.worktreesRoot, 'pool', 'a1'), branch: 'godel/pool/a1', baseCommit: base, sharedLinks: ['node_modules'], readChanged: false });
  // Renamed, not copied: a sandbox bound to the slot keeps the same folder.
  expect((await stat(wt.path)).ino).toBe(inode);
  expect(await readFile(join(wt.path, 'README.md'), 'utf8')).toBe('# two\n');
  expect(await t.run(['rev-parse', '--abbrev-ref', 'HEAD'], wt.path)).toBe('godel/pool/a1');
  expect(await t.run(['status', '--porcelain'], wt.path)).toBe('');
  const listed = (await new WorktreeManager({ repoPath: t.repo, worktreesRoot: t.worktreesRoot }).list()).find((w) => w.path === wt.path);
  expect(listed?.metadata).toMatchObject({ team: 'pool', agent: 'a1', branch: 'godel/pool/a1', baseCommit: base, status: 'active' });
  await new WorktreeManager({ repoPath: t.repo, worktreesRoot: t.worktreesRoot, sharedDirs: ['node_modules'] }).remove(wt.path, { force: true, deleteBranch: true });
  expect(await t.run(['branch', '--list', 'godel/pool/a1'])).toBe('');
});

it('an agent whose branch exists already: workspace.already_exists, no branch or folder left behind, the slot can be removed', async () => {
  await t.run(['branch', 'godel/pool/a2']);
  const slot = await createSlot({ repoPath: t.repo, path: join(t.dir, 'pool', 'slot-2') });
  const err = await adoptSlot({ repoPath: t.repo, slot: slot.path, worktreesRoot: t.worktreesRoot, team: 'pool', agent: 'a2', baseRef: 'main' }).catch((e: unknown) => e);
  expect(isWorkspaceError(err) && err.code).toBe('workspace.already_exists');
  await removeSlot({ repoPath: t.repo, path: slot.path });
  await expect(stat(slot.path)).rejects.toThrow();
  expect(await t.run(['worktree', 'list', '--porcelain'])).not.toContain('slot-2');
});

it('a failed adoption (unknown base) deletes the branch it would have made', async () => {
  const slot = await createSlot({ repoPath: t.repo, path: join(t.dir, 'pool', 'slot-3') });
  await writeFile(join(t.dir, 'x'), '');
  const err = await adoptSlot({ repoPath: t.repo, slot: slot.path, worktreesRoot: t.worktreesRoot, team: 'pool', agent: 'a3', baseRef: 'nope' }).catch((e: unknown) => e);
  expect(isWorkspaceError(err) && err.code).toBe('workspace.unknown_ref');
  expect(await t.run(['branch', '--list', 'godel/pool/*'])).toBe('');
  await removeSlot({ repoPath: t.repo, path: slot.path });
});
