/**
 * WorktreeManager under concurrency and git's locks, against real git (temp repos). Nothing is
 * mocked; two tests wrap the real git runner to inject a failure at a precise step.
 */
import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitRunner } from '../src/git/git-runner';
import { CREATE_CONCURRENCY } from '../src/worktree-ops';
import { allOrReasons, managerOf, tempRepoPerTest } from './worktree-test-kit';

jest.setTimeout(120_000); // generous: 20 creates plus outside git processes on a loaded machine

const t = tempRepoPerTest();
const manager = (extra: Parameters<typeof managerOf>[1] = {}) => managerOf(t, extra);

describe('concurrency and git locks', () => {
  it('20 concurrent creates (two manager instances) all succeed, each on its own branch', async () => {
    await mkdir(join(t.repo, 'node_modules'));
    const a = manager({ sharedDirs: ['node_modules'] });
    const b = manager({ sharedDirs: ['node_modules'] });
    const agents = Array.from({ length: 20 }, (_, i) => `agent-${i}`);

    const created = await allOrReasons(agents.map((agent, i) => (i % 2 ? a : b).create({ team: 'swarm', agent, baseRef: 'main' })));

    expect(new Set(created.map((c) => c.branch)).size).toBe(20);
    expect(new Set(created.map((c) => c.path)).size).toBe(20);
    const heads = await allOrReasons(created.map((c) => t.run(['symbolic-ref', '--short', 'HEAD'], c.path)));
    expect(heads).toEqual(agents.map((agent) => `godel/swarm/${agent}`));
    expect((await a.list()).map((w) => w.agent).sort()).toEqual([...agents].sort());
    const statuses = await allOrReasons(created.map((c) => t.run(['status', '--porcelain'], c.path)));
    expect(statuses.every((s) => s === '')).toBe(true);
    // Commits in parallel from every worktree land on their own branches.
    const commits = await allOrReasons(created.map((c, i) => t.commit({ [`work-${i}.txt`]: `${i}\n` }, `work ${i}`, c.path)));
    expect(new Set(commits).size).toBe(20);
  });

  it('20 creates succeed while other git processes add worktrees to the same repository at the same time', async () => {
    // Plain concurrent `git worktree add` runs fail with "failed to read .git/worktrees/x/commondir"
    // when they catch a sibling half-created; the outsiders below get no help, ours must retry.
    const m = manager();
    let done = false;
    let outsiderRuns = 0;
    const outsider = async (k: number) => {
      for (let i = 0; !done && i < 50; i++, outsiderRuns++) {
        const path = join(t.dir, 'outsiders', `o${k}-${i}`);
        await t.git(['worktree', 'add', '-q', '-b', `outsider/${k}-${i}`, path, 'main'], { cwd: t.repo }).catch(() => undefined);
      }
    };
    const outsiders = Promise.all([0, 1, 2, 3].map(outsider)); // four processes adding worktrees in a loop
    let created;
    try {
      created = await allOrReasons(Array.from({ length: 20 }, (_, i) => m.create({ team: 'swarm', agent: `a${i}`, baseRef: 'main' })));
    } finally {
      done = true; // also on failure: no outsider may outlive the test and its temp dir
      await outsiders;
    }
    expect(outsiderRuns).toBeGreaterThan(8); // the outsiders really ran alongside
    expect(created).toHaveLength(20);
    const heads = await allOrReasons(created.map((c) => t.run(['symbolic-ref', '--short', 'HEAD'], c.path)));
    expect(heads).toEqual(created.map((c) => c.branch));
    expect(await m.list()).toHaveLength(20);
  });

  it(`a burst of creates runs at most ${CREATE_CONCURRENCY} at once in this process (git processes in flight), all made`, async () => {
    // A hundred agent starts at once spawned hundreds of git processes in a burst and stalled the
    // event loop that renews shard leases (issue 13). Each create runs its git steps one by one.
    let inFlight = 0;
    let most = 0;
    const git: GitRunner = async (args, opts) => {
      most = Math.max(most, ++inFlight);
      try {
        return await t.git(args, opts);
      } finally {
        inFlight--;
      }
    };
    const m = manager({ git });
    const done: string[] = [];
    const agents = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
    await allOrReasons(agents.map((agent) => m.create({ team: 'b', agent, baseRef: 'main' }).then((w) => void done.push(w.agent))));
    expect(done.sort()).toEqual([...agents].sort());
    expect(most).toBeLessThanOrEqual(CREATE_CONCURRENCY);
    expect(most).toBeGreaterThanOrEqual(2); // still in parallel, not one by one
  });

  it('retries while another process holds the ref lock, then succeeds', async () => {
    const lock = join(t.repo, '.git', 'refs', 'heads', 'godel', 't', 'a.lock');
    await mkdir(join(lock, '..'), { recursive: true });
    await writeFile(lock, '');
    const calls: string[][] = [];
    let release: NodeJS.Timeout | undefined;
    const git: GitRunner = (args, opts) => {
      if (args[0] === 'worktree' && args[1] === 'add') {
        calls.push([...args]);
        // Released 300 ms after the first try (not after the test's start: on a loaded machine
        // the steps before it can take longer than that).
        release ??= setTimeout(() => void rm(lock, { force: true }), 300);
      }
      return t.git(args, opts);
    };
    try {
      const wt = await manager({ git }).create({ team: 't', agent: 'a', baseRef: 'main' });
      expect(wt.branch).toBe('godel/t/a');
      expect(calls.length).toBeGreaterThan(1);
    } finally {
      clearTimeout(release);
    }
  });

  it('gives up with retryable workspace.locked and leaves nothing behind when the lock stays', async () => {
    const lock = join(t.repo, '.git', 'refs', 'heads', 'godel', 't', 'a.lock');
    await mkdir(join(lock, '..'), { recursive: true });
    await writeFile(lock, '');
    const m = manager({ lockRetry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } });
    const err = await m.create({ team: 't', agent: 'a', baseRef: 'main' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'workspace.locked', retryable: true });
    expect((err as { details: { attempts: number } }).details.attempts).toBe(3);
    await expect(lstat(join(t.worktreesRoot, 't', 'a'))).rejects.toThrow();
    await rm(lock);
    await expect(m.create({ team: 't', agent: 'a', baseRef: 'main' })).resolves.toMatchObject({ branch: 'godel/t/a' });
  });

  it('recovers when a failed try left the new branch behind (git creates it before the worktree)', async () => {
    let injected = false;
    const git: GitRunner = async (args, opts) => {
      const b = args.indexOf('-b');
      if (!injected && args[0] === 'worktree' && b > 0) {
        injected = true;
        await t.git(['branch', args[b + 1], args[args.length - 1]], opts); // the part git finished
        throw Object.assign(new Error('injected'), {
          code: 'workspace.git_failed',
          details: { exitCode: 128, stderr: `fatal: Unable to create '${opts.cwd}/.git/index.lock': File exists.\n` },
        });
      }
      return t.git(args, opts);
    };
    const wt = await manager({ git }).create({ team: 't', agent: 'a', baseRef: 'main' });
    expect(injected).toBe(true);
    expect(await t.run(['symbolic-ref', '--short', 'HEAD'], wt.path)).toBe('godel/t/a');
  });

  it('rolls back the worktree and the branch when a later step fails (a failing post-checkout hook)', async () => {
    const hook = join(t.repo, '.git', 'hooks', 'post-checkout');
    await writeFile(hook, '#!/bin/sh\necho "hook says no" >&2\nexit 3\n', { mode: 0o755 });
    const m = manager({ sharedDirs: ['node_modules'] });
    await expect(m.create({ team: 't', agent: 'a', baseRef: 'main' })).rejects.toMatchObject({ code: 'workspace.git_failed' });
    expect(await m.list()).toEqual([]);
    expect(await t.run(['worktree', 'list', '--porcelain'])).not.toContain('/t/a');
    expect(await t.run(['branch', '--list', 'godel/*'])).toBe('');
    await expect(lstat(join(t.worktreesRoot, 't'))).rejects.toThrow();
    await rm(hook);
    await expect(m.create({ team: 't', agent: 'a', baseRef: 'main' })).resolves.toBeDefined();
  });
});
