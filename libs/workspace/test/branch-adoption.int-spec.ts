/**
 * An agent's branch that exists already (a start retried after a half-done create or pool claim
 * left it behind): used when it points exactly at the start commit and the caller asks for it
 * (`adoptBranchAtStart` / `adoptBranchAtBase`), refused otherwise — a branch with work on it is
 * never taken over silently, and a refused adoption leaves the branch as it was.
 * Real git, real file system.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWorkspaceError } from '../src/errors/workspace-error';
import { WorktreeManager } from '../src/worktree-manager';
import { adoptSlot } from '../src/worktree-adopt';
import { createSlot, removeSlot } from '../src/worktree-slot';
import { makeTempRepo, type TempRepo } from './temp-repo';

jest.setTimeout(30_000);

let t: TempRepo;
let m: WorktreeManager;
beforeEach(async () => {
  t = await makeTempRepo({ 'README.md': '# one\n' });
  m = new WorktreeManager({ repoPath: t.repo, worktreesRoot: t.worktreesRoot });
});
afterEach(async () => t.dispose());

const code = (err: unknown) => (isWorkspaceError(err) ? err.code : String(err));

it('create: a leftover branch at the base is used with adoptBranchAtStart, refused without it', async () => {
  const base = await t.run(['rev-parse', 'main']);
  await t.run(['branch', 'godel/t/a', base]);
  expect(code(await m.create({ team: 't', agent: 'a', baseRef: 'main' }).catch((e: unknown) => e))).toBe('workspace.already_exists');
  const wt = await m.create({ team: 't', agent: 'a', baseRef: 'main', adoptBranchAtStart: true });
  expect(wt).toMatchObject({ branch: 'godel/t/a', baseCommit: base });
  expect(await t.run(['rev-parse', '--abbrev-ref', 'HEAD'], wt.path)).toBe('godel/t/a');
  expect(await readFile(join(wt.path, 'README.md'), 'utf8')).toBe('# one\n');
  expect((await m.list()).find((w) => w.path === wt.path)?.metadata).toMatchObject({ agent: 'a', status: 'active' });
});

it('create: a branch with work on it is refused even with adoptBranchAtStart, and keeps its tip', async () => {
  await t.run(['switch', '-q', '-c', 'godel/t/b']);
  const work = await t.commit({ 'work.txt': 'earlier work\n' }, 'earlier agent work');
  await t.run(['switch', '-q', 'main']);
  const err = await m.create({ team: 't', agent: 'b', baseRef: 'main', adoptBranchAtStart: true }).catch((e: unknown) => e);
  expect(code(err)).toBe('workspace.already_exists');
  expect(await t.run(['rev-parse', 'godel/t/b'])).toBe(work);
  expect(await m.list()).toEqual([]);
});

it('pool slot: a leftover branch at the base is adopted with adoptBranchAtBase; one with work is refused and kept', async () => {
  const base = await t.run(['rev-parse', 'main']);
  await t.run(['branch', 'godel/pool/c', base]);
  const slot = await createSlot({ repoPath: t.repo, path: join(t.dir, 'pool', 'slot-c') });
  const wt = await adoptSlot({ repoPath: t.repo, slot: slot.path, worktreesRoot: t.worktreesRoot, team: 'pool', agent: 'c', baseRef: 'main', adoptBranchAtBase: true });
  expect(wt).toMatchObject({ path: join(t.worktreesRoot, 'pool', 'c'), branch: 'godel/pool/c', baseCommit: base });
  expect(await t.run(['rev-parse', '--abbrev-ref', 'HEAD'], wt.path)).toBe('godel/pool/c');

  await t.run(['switch', '-q', '-c', 'godel/pool/d']);
  const work = await t.commit({ 'work.txt': 'earlier work\n' }, 'earlier agent work');
  await t.run(['switch', '-q', 'main']);
  const slot2 = await createSlot({ repoPath: t.repo, path: join(t.dir, 'pool', 'slot-d') });
  const err = await adoptSlot({ repoPath: t.repo, slot: slot2.path, worktreesRoot: t.worktreesRoot, team: 'pool', agent: 'd', baseRef: 'main', adoptBranchAtBase: true }).catch((e: unknown) => e);
  expect(code(err)).toBe('workspace.already_exists');
  expect(await t.run(['rev-parse', 'godel/pool/d'])).toBe(work);
  await removeSlot({ repoPath: t.repo, path: slot2.path });
});
