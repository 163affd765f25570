/**
 * Mirror GC (issue 12): an instance's mirrors under `<home>/mirrors` not used for N days are
 * removed; never one a worktree is built on, never one a git operation is using. Real git, file://
 * remotes, real folders; "N days ago" is set on the folders with utimes.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RepoMirrors } from '../src/remote/repo-mirror';
import { WorktreeManager } from '../src/worktree-manager';
import { makeBareRemote } from './git-servers';

jest.setTimeout(90_000);

const DAY = 86_400_000;
let dir: string;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'godel-mirror-gc-')));
  await mkdir(join(dir, 'served'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const age = async (path: string, days: number) => {
  const t = new Date(Date.now() - days * DAY);
  await utimes(path, t, t);
};

describe('mirror GC', () => {
  it('removes mirrors idle for longer than the TTL, keeps recent ones and those a worktree is built on', async () => {
    const home = join(dir, 'home-a');
    const mirrors = new RepoMirrors({ home });
    const urls = await Promise.all(['old', 'used', 'fresh'].map(async (n) => `file://${await makeBareRemote(join(dir, 'served'), n, { 'README.md': `# ${n}\n` })}`));
    const [oldM, usedM, freshM] = await Promise.all(urls.map((u) => mirrors.ensure(u)));
    const wm = new WorktreeManager({ repoPath: usedM, worktreesRoot: join(home, 'worktrees'), allowBare: true });
    const wt = await wm.create({ team: 't1', agent: 'w1', baseRef: 'main' });
    await age(oldM, 40);
    await age(usedM, 40);
    await age(freshM, 2);

    const first = await mirrors.gc(30 * DAY);
    expect(first).toEqual({ removed: [oldM], keptInUse: [usedM] });
    expect([existsSync(oldM), existsSync(usedM), existsSync(freshM)]).toEqual([false, true, true]);
    expect(existsSync(join(wt.path, 'README.md'))).toBe(true);

    // Its worktree is gone (cleaned up): the idle mirror goes on the next collection.
    await rm(wt.path, { recursive: true, force: true });
    const second = await mirrors.gc(30 * DAY);
    expect(second).toEqual({ removed: [usedM], keptInUse: [] });
    expect(existsSync(freshM)).toBe(true);
    // A removed mirror is simply cloned again on its next use.
    expect(existsSync(await mirrors.ensure(urls[0]))).toBe(true);
  });

  it('never removes a mirror a git operation is using: the collection waits for it, and the use counts', async () => {
    const home = join(dir, 'home-b');
    const mirrors = new RepoMirrors({ home });
    const url = `file://${await makeBareRemote(join(dir, 'served'), 'busy', { 'README.md': '# busy\n' })}`;
    const m = await mirrors.ensure(url);
    await age(m, 40);
    // A fetch already under way when the collection starts: same lock, so the collection sees it as used.
    const fetching = mirrors.fetch(url);
    const report = await mirrors.gc(30 * DAY);
    await fetching;
    expect(report).toEqual({ removed: [], keptInUse: [] });
    expect(existsSync(join(m, 'HEAD'))).toBe(true);
    // Left idle again, it goes.
    await age(m, 40);
    expect((await mirrors.gc(30 * DAY)).removed).toEqual([m]);
  });
});
