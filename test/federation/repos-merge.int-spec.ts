/**
 * The refinery with a repository URL: fetch, rebase, verify and push the target fast-forward only,
 * against a bare repository served by `git daemon` on loopback. Each "instance" is its own home
 * folder (its own mirror); nothing is shared between them but the remote.
 */
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvedRef, mergedRef, mergeToRemote, publishApproved, Refinery, type MergeResult } from '@godel/orchestration';
import { Sandbox } from '@godel/sandbox';
import { RepoMirrors, WorktreeManager } from '@godel/workspace';
import { createTestEnv, type TestEnv } from '@godel/testing';
import { Redis } from 'ioredis';
import { git, makeBareRemote, startGitDaemon } from '../../libs/workspace/test/git-servers';

jest.setTimeout(120_000);

let dir: string;
let daemon: Awaited<ReturnType<typeof startGitDaemon>>;
let n = 0;
const sandbox = new Sandbox({ mode: 'off', onWarn: () => undefined });

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'godel-fed-repos-')));
  await mkdir(join(dir, 'served'));
  daemon = await startGitDaemon(join(dir, 'served'));
});
afterAll(async () => {
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh remote + the seed clone that plays "someone else pushing". */
async function freshRemote(): Promise<{ url: string; bare: string; seed: string }> {
  const name = `r${++n}`;
  const bare = await makeBareRemote(join(dir, 'served'), name, { 'README.md': '# r\n', 'check.sh': 'test -f README.md\n' });
  return { url: daemon.url(name), bare, seed: join(dir, 'served', `${name}-seed`) };
}

function instance(name: string): RepoMirrors {
  return new RepoMirrors({ home: join(dir, 'homes', `${name}-${n}`) });
}

/** An agent's approved commit made on `mirrors`' instance (a worktree of its mirror). */
async function approvedCommit(mirrors: RepoMirrors, url: string, team: string, file: string): Promise<string> {
  const mirror = await mirrors.ensure(url);
  const wm = new WorktreeManager({ repoPath: mirror, worktreesRoot: join(mirror, '..', '..', 'worktrees'), allowBare: true });
  const wt = await wm.create({ team, agent: 'w1', baseRef: 'main' });
  await writeFile(join(wt.path, file), `${file}\n`);
  await git(wt.path, 'add', '-A');
  await git(wt.path, 'commit', '-q', '-m', `add ${file}`);
  return git(wt.path, 'rev-parse', 'HEAD');
}

async function someoneElsePushes(seed: string, bare: string, file: string): Promise<string> {
  await git(seed, 'pull', '-q', '--rebase', bare, 'main');
  await writeFile(join(seed, file), `${file}\n`);
  await git(seed, 'add', '-A');
  await git(seed, 'commit', '-q', '-m', `other ${file}`);
  await git(seed, 'push', '-q', bare, 'HEAD:main');
  return git(seed, 'rev-parse', 'HEAD');
}

/**
 * Another writer pushes to the remote while the merge verifies, the first `times` times: the
 * verification waits (a flag file) until that push has landed, so the refinery's push is refused.
 */
function moveRemoteDuringVerify(r: { bare: string; seed: string }, times: number): { onStage: (stage: string) => void; verify: string; moved: () => number } {
  const flag = join(dir, `pending-${n}`);
  let moved = 0;
  return {
    moved: () => moved,
    verify: `while [ -e '${flag}' ]; do sleep 0.05; done; sh check.sh`,
    onStage: (stage) => {
      if (stage !== 'verify_started' || moved >= times) return;
      moved++;
      writeFileSync(flag, '');
      void someoneElsePushes(r.seed, r.bare, `other${moved}.txt`).finally(() => unlink(flag));
    },
  };
}

async function subjects(bare: string): Promise<string[]> {
  return (await git(bare, 'log', '--format=%s', 'main')).split('\n');
}

describe('mergeToRemote', () => {
  it('rebases onto a remote that moved during the merge and pushes fast-forward only', async () => {
    const r = await freshRemote();
    const a = instance('a');
    const commit = await approvedCommit(a, r.url, 'tm1', 'mine.txt');
    const mover = moveRemoteDuringVerify(r, 2);
    const rebased: string[] = [];
    const outcome = await mergeToRemote({
      url: r.url, mirrors: a, team: 'tm1', task: 't1', attempt: 1, target: 'main', commit, verify: mover.verify, verifyTimeoutMs: 60_000, sandbox,
      onStage: (stage, data) => {
        if (stage === 'rebased') rebased.push(String(data.rebased));
        mover.onStage(stage);
      },
    });
    expect(outcome.kind).toBe('merged');
    expect(mover.moved()).toBe(2);
    expect(rebased).toHaveLength(3); // two pushes refused, rebased again each time
    const log = await subjects(r.bare);
    expect(log.slice(0, 3)).toEqual(['add mine.txt', 'other2.txt', 'other1.txt'].map((s, i) => (i === 0 ? s : `other ${s}`)));
    expect(log.filter((s) => s === 'add mine.txt')).toHaveLength(1);
    expect(await git(r.bare, 'rev-parse', 'main')).toBe(outcome.kind === 'merged' ? outcome.merged : 'not merged');
    expect(await git(r.bare, 'rev-list', '--min-parents=2', 'main')).toBe(''); // linear
    expect(await git(r.bare, 'fsck', '--no-progress')).toBe('');
    expect(await git(r.bare, 'rev-parse', mergedRef('tm1', 't1', 1))).toBe(await git(r.bare, 'rev-parse', 'main'));
  });

  it('a remote that keeps moving ends blocked after maxRaces; the target is untouched by us', async () => {
    const r = await freshRemote();
    const a = instance('a');
    const commit = await approvedCommit(a, r.url, 'tm2', 'mine.txt');
    const mover = moveRemoteDuringVerify(r, 99);
    const outcome = await mergeToRemote({ url: r.url, mirrors: a, team: 'tm2', task: 't1', attempt: 1, target: 'main', commit, verify: mover.verify, verifyTimeoutMs: 60_000, sandbox, maxRaces: 2, onStage: mover.onStage });
    expect(outcome).toMatchObject({ kind: 'blocked', moved: true });
    expect(mover.moved()).toBe(2);
    expect(await subjects(r.bare)).not.toContain('add mine.txt');
    expect(await git(r.bare, 'for-each-ref', 'refs/godel/merged')).toBe('');
  });

  it('a merge whose host dies between the rebase and the push is merged once by another instance', async () => {
    const r = await freshRemote();
    const a = instance('a');
    const commit = await approvedCommit(a, r.url, 'tm3', 'mine.txt');
    await publishApproved(a, r.url, 'tm3', 't1', 1, commit);
    const before = await git(r.bare, 'rev-parse', 'main');
    const crash = new Error('host died');
    const first = await mergeToRemote({ url: r.url, mirrors: a, team: 'tm3', task: 't1', attempt: 1, target: 'main', commit, verify: 'sh check.sh', verifyTimeoutMs: 30_000, sandbox,
      onStage: (stage) => { if (stage === 'verify_finished') throw crash; } }).then(() => undefined, (e: unknown) => e);
    expect(first).toBe(crash);
    expect(await git(r.bare, 'rev-parse', 'main')).toBe(before);
    // Another instance (its own home, its mirror never saw the commit): fetched from approvedRef.
    const b = instance('b');
    const outcome = await mergeToRemote({ url: r.url, mirrors: b, team: 'tm3', task: 't1', attempt: 1, target: 'main', commit, verify: 'sh check.sh', verifyTimeoutMs: 30_000, sandbox });
    expect(outcome).toMatchObject({ kind: 'merged', alreadyMerged: false, commits: 1 });
    expect((await subjects(r.bare)).filter((s) => s === 'add mine.txt')).toHaveLength(1);
    expect(await git(r.bare, 'rev-parse', approvedRef('tm3', 't1', 1))).toBe(commit);
  });

  it('a merge whose host dies after the push (before reporting) is not pushed twice when re-run elsewhere', async () => {
    const r = await freshRemote();
    const a = instance('a');
    const commit = await approvedCommit(a, r.url, 'tm4', 'mine.txt');
    await publishApproved(a, r.url, 'tm4', 't1', 1, commit);
    const done = await mergeToRemote({ url: r.url, mirrors: a, team: 'tm4', task: 't1', attempt: 1, target: 'main', commit, verifyTimeoutMs: 30_000, sandbox });
    expect(done).toMatchObject({ kind: 'merged', alreadyMerged: false });
    const tip = await git(r.bare, 'rev-parse', 'main');
    // Someone else pushes on top meanwhile; the re-run must still see the merge as done.
    await someoneElsePushes(r.seed, r.bare, 'later.txt');
    const b = instance('b');
    let stages = 0;
    const again = await mergeToRemote({ url: r.url, mirrors: b, team: 'tm4', task: 't1', attempt: 1, target: 'main', commit, verifyTimeoutMs: 30_000, sandbox, onStage: () => stages++ });
    expect(again).toMatchObject({ kind: 'merged', alreadyMerged: true, merged: tip });
    expect(stages).toBe(0); // no rebase, no verification, no push
    expect((await subjects(r.bare)).filter((s) => s === 'add mine.txt')).toHaveLength(1);
    expect(await git(r.bare, 'fsck', '--no-progress')).toBe('');
  });
});

describe('Refinery with a URL repository (real Redis, BullMQ)', () => {
  let env: TestEnv;
  const clients: Redis[] = [];
  const refineries: Refinery[] = [];
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    for (const r of refineries) await r.close();
    for (const c of clients) c.disconnect();
    await env.cleanup();
  });

  function refinery(mirrors: RepoMirrors, told: Array<{ type: string; payload: unknown }>): Refinery {
    const c = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
    clients.push(c);
    const r = new Refinery({ connection: c, lockClient: c, prefix: `${env.keyPrefix}:bull`, tell: async (_to, type, payload) => void told.push({ type, payload }), mirrors, sandbox, backoffMs: 200 });
    refineries.push(r);
    return r;
  }

  it('a merge queued on one instance is merged by another with its own home (the approved commit travels by the remote)', async () => {
    const r = await freshRemote();
    const a = instance('a');
    const b = instance('b');
    const commit = await approvedCommit(a, r.url, 'tq1', 'queued.txt');
    const toldA: Array<{ type: string; payload: unknown }> = [];
    const toldB: Array<{ type: string; payload: unknown }> = [];
    const ra = refinery(a, toldA); // enqueues, never merges (it "dies")
    const rb = refinery(b, toldB);
    await ra.enqueue({ team: 'tq1', teamAddress: 'team/tq1', task: 't1', attempt: 1, repo: r.url, target: 'main', commit, verify: 'sh check.sh', verifyTimeoutMs: 30_000 });
    expect(await git(r.bare, 'rev-parse', approvedRef('tq1', 't1', 1))).toBe(commit);
    rb.start();
    const deadline = Date.now() + 90_000;
    while (!toldB.some((t) => t.type === 'team.merge_result') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    const result = toldB.find((t) => t.type === 'team.merge_result')?.payload as MergeResult | undefined;
    expect(result).toMatchObject({ kind: 'merged', task: 't1', commit });
    expect((await subjects(r.bare)).filter((s) => s === 'add queued.txt')).toHaveLength(1);
    expect(await git(r.bare, 'rev-parse', 'main')).toBe((result as { merged?: string }).merged);
    expect(toldA).toEqual([]);
  });
});
