/**
 * The two halves of a slot adoption (worktree-adopt.ts) against real git: the repository's checks
 * (`planAdoption`), shared by the claims of a burst, and the slot's switch in one git process.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWorkspaceError } from '../src/errors/workspace-error';
import type { GitRunner } from '../src/git/git-runner';
import { adoptSlot, planAdoption } from '../src/worktree-adopt';
import { createSlot } from '../src/worktree-slot';
import { makeTempRepo, type TempRepo } from './temp-repo';

jest.setTimeout(30_000);

let t: TempRepo;
beforeEach(async () => {
  t = await makeTempRepo({ 'README.md': '# one\n' });
});
afterEach(async () => t.dispose());

/** The repository's git runner, counting the commands it runs (by their first word). */
function counting(): { git: GitRunner; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const git: GitRunner = (args, o) => {
    const verb = args.find((a) => !a.startsWith('-')) ?? '';
    counts.set(verb, (counts.get(verb) ?? 0) + 1);
    return t.git(args, o);
  };
  return { git, counts };
}

it('20 plans at once ask git for the base and the clean main tree once, and each names its own target', async () => {
  const { git, counts } = counting();
  const repo = { root: t.repo, commonDir: join(t.repo, '.git') };
  const plans = await Promise.all(Array.from({ length: 20 }, (_, i) => planAdoption({ repoPath: t.repo, repo, git, worktreesRoot: t.worktreesRoot, team: 'burst', agent: `a${i}`, baseRef: 'main' })));
  expect(new Set(plans.map((p) => p.base))).toEqual(new Set([await t.run(['rev-parse', 'main'])]));
  expect(new Set(plans.map((p) => p.path)).size).toBe(20);
  expect(counts.get('rev-parse')).toBe(1);
  expect(counts.get('status')).toBe(1);
  // Nothing is kept: a later plan looks again (and sees a commit made meanwhile).
  const next = await t.commit({ 'README.md': '# two\n' }, 'two');
  expect((await planAdoption({ repoPath: t.repo, repo, git, worktreesRoot: t.worktreesRoot, team: 'burst', agent: 'late', baseRef: 'main' })).base).toBe(next);
  expect(counts.get('rev-parse')).toBe(2);
});

it('an unknown base wins over a dirty main tree, and a dirty tree alone is refused', async () => {
  await writeFile(join(t.repo, 'README.md'), 'uncommitted\n');
  const unknown = await planAdoption({ repoPath: t.repo, worktreesRoot: t.worktreesRoot, team: 'p', agent: 'a', baseRef: 'nope' }).catch((e: unknown) => e);
  expect(isWorkspaceError(unknown) && unknown.code).toBe('workspace.unknown_ref');
  const dirty = await planAdoption({ repoPath: t.repo, worktreesRoot: t.worktreesRoot, team: 'p', agent: 'a', baseRef: 'main' }).catch((e: unknown) => e);
  expect(isWorkspaceError(dirty) && dirty.code).toBe('workspace.dirty_base');
});

it('adopting with a plan runs one git process on the slot, and leaves it clean on its branch at the base', async () => {
  const slot = await createSlot({ repoPath: t.repo, path: join(t.dir, 'pool', 'slot-1') });
  // Whatever happened in the slot meanwhile is undone, as `git reset --hard` did.
  await writeFile(join(slot.path, 'README.md'), 'scribbled\n');
  const plan = await planAdoption({ repoPath: t.repo, repo: slot.repo, worktreesRoot: t.worktreesRoot, team: 'p', agent: 'a', baseRef: 'main' });
  const { git, counts } = counting();
  const wt = await adoptSlot({ repoPath: t.repo, git, slot: slot.path, worktreesRoot: t.worktreesRoot, team: 'p', agent: 'a', baseRef: 'main', plan });
  expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(1);
  expect(wt).toMatchObject({ path: join(t.worktreesRoot, 'p', 'a'), branch: 'godel/p/a', baseCommit: plan.base, readChanged: false });
  expect(await t.run(['rev-parse', '--abbrev-ref', 'HEAD'], wt.path)).toBe('godel/p/a');
  expect(await t.run(['status', '--porcelain'], wt.path)).toBe('');
});
