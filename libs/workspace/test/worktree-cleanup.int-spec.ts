/**
 * WorktreeManager.cleanup against real git and a real file system. Time is injected (clock/now),
 * liveness is a plain set, nothing else is simulated.
 */
import { lstat, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CREATING_LOCK_REASON, WorktreeManager } from '../src/worktree-manager';
import type { CleanupOptions, CleanupReport } from '../src/worktree-types';
import { makeTempRepo, type TempRepo } from './temp-repo';

jest.setTimeout(30_000);

const HOUR = 3_600_000;
const T0 = Date.parse('2030-01-01T00:00:00Z');

let t: TempRepo;
let clockMs: number;
let m: WorktreeManager;
beforeEach(async () => {
  t = await makeTempRepo();
  await mkdir(join(t.repo, 'node_modules', 'dep'), { recursive: true });
  clockMs = T0;
  m = new WorktreeManager({ repoPath: t.repo, worktreesRoot: t.worktreesRoot, sharedDirs: ['node_modules'], clock: () => clockMs });
});
afterEach(async () => {
  await t.dispose();
});

/** Creates `agent` at time `at` (ms after T0); with `work`, commits one file on its branch. */
async function createAt(agent: string, at: number, work = false): Promise<string> {
  clockMs = T0 + at;
  const wt = await m.create({ team: 'team', agent, baseRef: 'main' });
  if (work) await t.commit({ [`${agent}.txt`]: `${agent}\n` }, `work of ${agent}`, wt.path);
  return wt.path;
}

/** Merges the agent's branch into main, as the refinery's merge queue would. */
async function merge(agent: string): Promise<void> {
  await t.run(['merge', '-q', '--no-ff', '--no-edit', `godel/team/${agent}`]);
}

function options(live: Set<string>, overrides: Partial<CleanupOptions['policy']> = {}, now = T0 + 10 * HOUR): CleanupOptions {
  return { isLive: (agent) => live.has(agent), policy: { onMerged: true, ttlMs: 5 * HOUR, keepFailed: true, ...overrides }, now };
}

const byAgent = (items: { agent: string; reason: string }[]) => Object.fromEntries(items.map((i) => [i.agent, i.reason]));

it('removes merged and expired worktrees, keeps live, failed and fresh ones, and is idempotent', async () => {
  await createAt('live', 0, true); // merged AND expired, but its agent is live
  await createAt('merged', 9 * HOUR, true); // young, merged
  const expired = await createAt('expired', 1 * HOUR, true); // old, not merged
  await createAt('failed', 0, true); // old, failed
  await createAt('fresh', 8 * HOUR); // young, no commits (its tip is an ancestor of main, yet not "merged")
  await createAt('unmerged', 9 * HOUR, true); // young, own unmerged commit
  await merge('live');
  await merge('merged');
  await m.setStatus(join(t.worktreesRoot, 'team', 'failed'), 'failed');
  const live = new Set(['live']);

  const first = await m.cleanup(options(live));

  expect(byAgent(first.removed)).toEqual({ merged: 'merged', expired: 'ttl' });
  expect(byAgent(first.kept)).toEqual({ live: 'live', failed: 'failed', fresh: 'fresh', unmerged: 'fresh' });
  expect(first.failed).toEqual([]);
  expect(first.removed.find((r) => r.agent === 'merged')?.branchDeleted).toBe(true);
  expect(first.removed.find((r) => r.agent === 'expired')?.branchDeleted).toBe(false);
  expect((await m.list()).map((w) => w.agent).sort()).toEqual(['failed', 'fresh', 'live', 'unmerged']);
  await expect(lstat(expired)).rejects.toThrow();
  expect(await t.run(['branch', '--list', 'godel/team/merged'])).toBe(''); // its work is on main
  expect(await t.run(['log', '-1', '--format=%s', 'godel/team/expired'])).toBe('work of expired'); // unmerged work kept
  expect(await readFile(join(t.repo, 'README.md'), 'utf8')).toBe('# test\n');
  expect((await lstat(join(t.repo, 'node_modules', 'dep'))).isDirectory()).toBe(true); // shared folder untouched

  const second = await m.cleanup(options(live));
  expect(second.removed).toEqual([]);
  expect(byAgent(second.kept)).toEqual(byAgent(first.kept));
});

it('never removes a live worktree, whatever the policy', async () => {
  const path = await createAt('busy', 0, true);
  await merge('busy');
  await m.setStatus(path, 'done');
  const asked: string[] = [];
  const report = await m.cleanup({
    isLive: (agent) => {
      asked.push(agent);
      return Promise.resolve(true);
    },
    policy: { onMerged: true, ttlMs: 0, keepFailed: false },
    now: T0 + 1000 * HOUR,
  });
  expect(report).toEqual({ removed: [], kept: [expect.objectContaining({ agent: 'busy', reason: 'live' })], failed: [] });
  expect(asked).toEqual(['busy']);
  expect((await lstat(path)).isDirectory()).toBe(true);
});

it('removes failed ones by TTL when keepFailed is off, and honours ttl Infinity and a target branch', async () => {
  const failed = await createAt('failed', 0, true);
  await m.setStatus(failed, 'failed');
  expect(byAgent((await m.cleanup(options(new Set(), { ttlMs: Infinity, keepFailed: false }))).kept)).toEqual({ failed: 'fresh' });
  expect(byAgent((await m.cleanup(options(new Set(), { keepFailed: false }))).removed)).toEqual({ failed: 'ttl' });

  await createAt('feature', 9 * HOUR, true);
  await t.run(['branch', 'release', 'godel/team/feature']); // merged into `release`, not into main
  expect(byAgent((await m.cleanup(options(new Set()))).kept)).toEqual({ feature: 'fresh' });
  expect(byAgent((await m.cleanup(options(new Set(), { target: 'release' }))).removed)).toEqual({ feature: 'merged' });
});

it('finishes half-removed worktrees: folder gone, or git record gone', async () => {
  const folderGone = await createAt('folder-gone', 0);
  const recordGone = await createAt('record-gone', 0);
  const liveGone = await createAt('live-gone', 0);
  await rm(folderGone, { recursive: true, force: true });
  await rm(liveGone, { recursive: true, force: true });
  const admin = (await readFile(join(recordGone, '.git'), 'utf8')).replace('gitdir: ', '').trim();
  await rm(admin, { recursive: true, force: true }); // git forgets it; the folder stays

  const report = await m.cleanup(options(new Set(['live-gone']), { ttlMs: Infinity }));

  expect(byAgent(report.removed)).toEqual({ 'folder-gone': 'missing', 'record-gone': 'orphaned' });
  expect(byAgent(report.kept)).toEqual({ 'live-gone': 'live' });
  await expect(lstat(recordGone)).rejects.toThrow();
  expect((await lstat(join(t.repo, 'node_modules', 'dep'))).isDirectory()).toBe(true); // the orphan's link was not followed
  expect(await t.run(['worktree', 'list', '--porcelain'])).not.toContain('folder-gone');
  // The same agents can be created again.
  await expect(m.create({ team: 'team', agent: 'record-gone-2', baseRef: 'main' })).resolves.toBeDefined();
  expect((await m.cleanup(options(new Set(['live-gone']), { ttlMs: Infinity }))).removed).toEqual([]);
});

it('two cleanups at once remove each worktree once and both succeed', async () => {
  for (let i = 0; i < 5; i++) await createAt(`old-${i}`, 0);
  const settled = await Promise.allSettled([m.cleanup(options(new Set())), m.cleanup(options(new Set()))]);
  expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
  const [a, b] = settled.map((r) => (r as PromiseFulfilledResult<CleanupReport>).value);
  expect([...a.removed, ...b.removed].map((r) => r.agent).sort()).toEqual(['old-0', 'old-1', 'old-2', 'old-3', 'old-4']);
  expect([...a.failed, ...b.failed]).toEqual([]);
  expect(await m.list()).toEqual([]);
  await expect(lstat(join(t.worktreesRoot, 'team'))).rejects.toThrow(); // empty team folder tidied
});

it('keeps worktrees locked with git worktree lock', async () => {
  const path = await createAt('pinned', 0);
  await t.run(['worktree', 'lock', '--reason', 'inspecting', path]);
  expect(byAgent((await m.cleanup(options(new Set()))).kept)).toEqual({ pinned: 'locked' });
  await expect(m.remove(path, { force: true })).rejects.toMatchObject({ code: 'workspace.worktree_locked' });
});

it('uses a metadata lookup when given, and the admin dir age without metadata', async () => {
  await createAt('a', 0);
  await createAt('b', 0);
  const report = await m.cleanup({
    ...options(new Set()),
    lookupMetadata: (wt) => (wt.agent === 'a' ? { ...wt.metadata!, status: 'failed' } : undefined),
    now: Date.now() + 6 * HOUR, // b has no metadata: its age comes from git's admin dir (created just now)
  });
  expect(byAgent(report.kept)).toEqual({ a: 'failed' });
  expect(byAgent(report.removed)).toEqual({ b: 'ttl' });
});

it('leaves a worktree alone while create is still filling it, even with a zero TTL', async () => {
  const started = join(t.dir, 'hook-started');
  const release = join(t.dir, 'hook-release');
  // The post-checkout hook runs in create's unserialised phase: hold it there until cleanup has run.
  await writeFile(
    join(t.repo, '.git', 'hooks', 'post-checkout'),
    `#!/bin/sh\ntouch ${started}\nfor i in $(seq 1 200); do [ -e ${release} ] && exit 0; sleep 0.05; done\nexit 1\n`,
    { mode: 0o755 },
  );
  const creating = m.create({ team: 'team', agent: 'slow', baseRef: 'main' });
  for (let i = 0; i < 200 && !(await exists(started)); i++) await new Promise((r) => setTimeout(r, 25));
  expect(await exists(started)).toBe(true);

  let report;
  try {
    report = await m.cleanup(options(new Set(), { ttlMs: 0 }, Date.now()));
  } finally {
    await writeFile(release, '');
  }

  expect(byAgent(report.kept)).toEqual({ slow: 'locked' });
  const wt = await creating;
  expect((await m.list()).find((w) => w.path === wt.path)?.locked).toBeUndefined(); // unlocked once complete
  expect(byAgent((await m.cleanup(options(new Set(), { ttlMs: 0 }, T0))).removed)).toEqual({ slow: 'ttl' }); // metadata createdAt is T0
});

it('removes a worktree whose create crashed (still locked as "creating" after 10 minutes)', async () => {
  const crashed = join(t.worktreesRoot, 'team', 'crashed');
  const fresh = join(t.worktreesRoot, 'team', 'in-progress');
  for (const [path, branch] of [[crashed, 'godel/team/crashed'], [fresh, 'godel/team/in-progress']]) {
    await t.run(['worktree', 'add', '-q', '--no-checkout', '--lock', '--reason', CREATING_LOCK_REASON, '-b', branch, path, 'main']);
  }
  const locked = join((await readFile(join(crashed, '.git'), 'utf8')).replace('gitdir: ', '').trim(), 'locked');
  const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
  await utimes(locked, elevenMinutesAgo, elevenMinutesAgo);

  const report = await m.cleanup(options(new Set(), {}, Date.now() + 6 * HOUR));

  expect(byAgent(report.removed)).toEqual({ crashed: 'ttl' });
  expect(byAgent(report.kept)).toEqual({ 'in-progress': 'locked' });
  await expect(lstat(crashed)).rejects.toThrow();
});

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
