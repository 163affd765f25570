/**
 * Repositories by URL against real git remotes on loopback: a bare repository served by
 * `git daemon` (git://), the same by file://, and smart HTTP over TLS with Basic auth (https://).
 * Each "instance" is a separate home folder; nothing is shared between them but the remote.
 */
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWorkspaceError } from '../src/errors/workspace-error';
import { pushAgentWork, restoreAgentWorktree, workRef } from '../src/remote/agent-work';
import { RepoMirrors } from '../src/remote/repo-mirror';
import { parseRepoSource } from '../src/remote/repo-source';
import { WorktreeManager } from '../src/worktree-manager';
import { freePort, git, makeBareRemote, startGitDaemon, startHttpsGit } from './git-servers';

jest.setTimeout(90_000);

let dir: string;
let daemon: Awaited<ReturnType<typeof startGitDaemon>>;
let url: string;
let remote: string;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'godel-remote-')));
  await mkdir(join(dir, 'served'));
  remote = await makeBareRemote(join(dir, 'served'), 'app', { 'README.md': '# app\n', 'src/a.ts': 'export const a = 1;\n' });
  daemon = await startGitDaemon(join(dir, 'served'));
  url = daemon.url('app');
});
afterAll(async () => {
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function home(name: string): Promise<string> {
  const h = join(dir, 'homes', name);
  await mkdir(h, { recursive: true });
  return h;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (isWorkspaceError(e) ? e.code : `untyped: ${String(e)}`),
  );
}

describe('repository sources', () => {
  it('tells paths from URLs and refuses what it cannot serve safely', () => {
    expect(parseRepoSource('/srv/app').kind).toBe('path');
    expect(parseRepoSource('git://127.0.0.1:9418/app.git').kind).toBe('url');
    expect(parseRepoSource('ssh://git@example.com/app.git').kind).toBe('url');
    for (const bad of ['relative/path', 'https://user:tok123@example.com/a.git', 'https://user@example.com/a.git', 'ext::sh -c id', 'http://example.com/a.git', 'https://exa mple.com/a', 'file:///']) {
      expect(() => parseRepoSource(bad)).toThrow(expect.objectContaining({ code: 'workspace.bad_url' }));
    }
    try {
      parseRepoSource('https://user:tok123@example.com/a.git');
    } catch (err) {
      expect(JSON.stringify(err) + String(err)).not.toContain('tok123');
    }
  });
});

describe('mirror and worktrees from a URL (git daemon)', () => {
  it('mirrors the remote under the home and builds an agent worktree from it', async () => {
    const mirrors = new RepoMirrors({ home: await home('a1') });
    const mirror = await mirrors.ensure(url);
    expect(mirror.startsWith(join(dir, 'homes', 'a1', 'mirrors'))).toBe(true);
    expect(await git(mirror, 'rev-parse', 'refs/heads/main')).toBe(await git(remote, 'rev-parse', 'main'));
    const wm = new WorktreeManager({ repoPath: mirror, worktreesRoot: join(dir, 'homes', 'a1', 'worktrees'), allowBare: true });
    const wt = await wm.create({ team: 't1', agent: 'w1', baseRef: 'main' });
    expect(await readFile(join(wt.path, 'src/a.ts'), 'utf8')).toContain('a = 1');
    expect(await git(wt.path, 'status', '--porcelain')).toBe('');
    // The worktree's view of the remote holds no credentials and Godel's own files are not in it.
    expect(await git(wt.path, 'config', '--get', 'remote.origin.url')).toBe(url);
    // Second ensure: a fetch that follows the remote.
    const seed = join(dir, 'served', 'app-seed');
    await writeFile(join(seed, 'b.txt'), 'b\n');
    await git(seed, 'add', '-A');
    await git(seed, 'commit', '-q', '-m', 'b');
    await git(seed, 'push', '-q', remote, 'main:main');
    await mirrors.ensure(url);
    expect(await git(mirror, 'rev-parse', 'refs/heads/main')).toBe(await git(remote, 'rev-parse', 'main'));
    // The agent's branch is not touched by fetches (godel/* is excluded).
    expect(await git(mirror, 'rev-parse', 'refs/heads/godel/t1/w1')).toBe(wt.baseCommit);
  });

  it('pushes an agent turn to the remote and rebuilds the worktree on another home from it', async () => {
    const m1 = new RepoMirrors({ home: await home('b1') });
    const mirror1 = await m1.ensure(url);
    const wm1 = new WorktreeManager({ repoPath: mirror1, worktreesRoot: join(dir, 'homes', 'b1', 'worktrees'), allowBare: true });
    const wt = await wm1.create({ team: 't2', agent: 'w1', baseRef: 'main' });
    // The agent commits one file and leaves another change uncommitted plus a new file.
    await writeFile(join(wt.path, 'committed.txt'), 'one\n');
    await git(wt.path, 'add', 'committed.txt');
    await git(wt.path, 'commit', '-q', '-m', 'agent work');
    const head = await git(wt.path, 'rev-parse', 'HEAD');
    await writeFile(join(wt.path, 'README.md'), '# app, edited\n');
    await writeFile(join(wt.path, 'new.txt'), 'new\n');
    const pushed = await pushAgentWork({ mirrors: m1, url, worktree: wt.path, team: 't2', agent: 'w1', baseCommit: wt.baseCommit });
    expect(pushed.head).toBe(head);
    expect(await git(remote, 'rev-parse', workRef('t2', 'w1'))).toBe(pushed.snapshot);
    // The worktree itself is untouched by the snapshot.
    expect(await git(wt.path, 'rev-parse', 'HEAD')).toBe(head);
    expect((await git(wt.path, 'status', '--porcelain')).split('\n').map((l) => l.trim()).sort()).toEqual(['?? new.txt', 'M README.md']);

    // Instance 2: its own home, nothing shared but the remote.
    const m2 = new RepoMirrors({ home: await home('b2') });
    const restored = await restoreAgentWorktree({ mirrors: m2, url, worktreesRoot: join(dir, 'homes', 'b2', 'worktrees'), team: 't2', agent: 'w1', baseRef: 'main' });
    expect(restored.from).toBe('remote');
    expect(restored.path.startsWith(join(dir, 'homes', 'b2'))).toBe(true);
    expect(restored.baseCommit).toBe(wt.baseCommit);
    expect(await git(restored.path, 'rev-parse', 'HEAD')).toBe(head);
    expect(await readFile(join(restored.path, 'README.md'), 'utf8')).toBe('# app, edited\n');
    expect(await readFile(join(restored.path, 'new.txt'), 'utf8')).toBe('new\n');
    expect((await git(restored.path, 'status', '--porcelain')).split('\n').map((l) => l.trim()).sort()).toEqual(['?? new.txt', 'M README.md']);
    // Asked again on the same instance: the one it has.
    const again = await restoreAgentWorktree({ mirrors: m2, url, worktreesRoot: join(dir, 'homes', 'b2', 'worktrees'), team: 't2', agent: 'w1', baseRef: 'main' });
    expect(again).toMatchObject({ from: 'local', path: restored.path });
    // An agent with nothing pushed gets a fresh worktree.
    const fresh = await restoreAgentWorktree({ mirrors: m2, url, worktreesRoot: join(dir, 'homes', 'b2', 'worktrees'), team: 't2', agent: 'w9', baseRef: 'main' });
    expect(fresh.from).toBe('fresh');
    expect(await git(remote, 'fsck', '--no-progress')).toBe('');
  });

  it('file:// works the same', async () => {
    const fileUrl = `file://${remote}`;
    const m = new RepoMirrors({ home: await home('f1') });
    const mirror = await m.ensure(fileUrl);
    const wm = new WorktreeManager({ repoPath: mirror, worktreesRoot: join(dir, 'homes', 'f1', 'worktrees'), allowBare: true });
    const wt = await wm.create({ team: 't3', agent: 'w1', baseRef: 'main' });
    await writeFile(join(wt.path, 'f.txt'), 'f\n');
    const pushed = await pushAgentWork({ mirrors: m, url: fileUrl, worktree: wt.path, team: 't3', agent: 'w1', baseCommit: wt.baseCommit });
    expect(await git(remote, 'rev-parse', workRef('t3', 'w1'))).toBe(pushed.snapshot);
  });

  it('an agent cannot redirect the server\'s pushes by editing the shared config', async () => {
    const m = new RepoMirrors({ home: await home('c1') });
    const mirror = await m.ensure(url);
    const wm = new WorktreeManager({ repoPath: mirror, worktreesRoot: join(dir, 'homes', 'c1', 'worktrees'), allowBare: true });
    const wt = await wm.create({ team: 't4', agent: 'w1', baseRef: 'main' });
    const evil = join(dir, 'evil.git');
    await git(dir, 'init', '-q', '--bare', evil);
    await git(wt.path, 'config', `url.file://${evil}.insteadOf`, url);
    await git(wt.path, 'config', 'core.sshCommand', 'touch /tmp/godel-pwned');
    await pushAgentWork({ mirrors: m, url, worktree: wt.path, team: 't4', agent: 'w1', baseCommit: wt.baseCommit });
    expect(await git(remote, 'rev-parse', '--verify', '--quiet', workRef('t4', 'w1'))).not.toBe('');
    expect(await git(evil, 'for-each-ref')).toBe('');
  });
});

describe('bad input', () => {
  it('an unreachable URL: workspace.unreachable, and no mirror left behind', async () => {
    const h = await home('d1');
    const m = new RepoMirrors({ home: h, timeoutMs: 30_000 });
    const port = await freePort(); // nothing listens there
    expect(await codeOf(m.ensure(`git://127.0.0.1:${port}/nothing.git`))).toBe('workspace.unreachable');
    expect(await codeOf(m.ensure(`file://${join(dir, 'missing.git')}`))).toBe('workspace.unreachable');
    expect(await codeOf(m.ensure(daemon.url('missing')))).toBe('workspace.unreachable');
    expect(await readdir(join(h, 'mirrors'))).toEqual([]);
  });

  it('https with server-side credentials: right ones work, wrong ones are auth_failed, the token is nowhere a worktree sees', async () => {
    const token = 'tok-3f9a2b7c1d';
    const https = await startHttpsGit(join(dir), join(dir, 'served'), 'godel', token);
    try {
      const httpsUrl = https.url('app');
      const h = await home('e1');
      const good = new RepoMirrors({ home: h, credentials: { username: 'godel', password: token, caFile: https.caFile } });
      const mirror = await good.ensure(httpsUrl);
      const wm = new WorktreeManager({ repoPath: mirror, worktreesRoot: join(h, 'worktrees'), allowBare: true });
      const wt = await wm.create({ team: 't5', agent: 'w1', baseRef: 'main' });
      await writeFile(join(wt.path, 'x.txt'), 'x\n');
      const pushed = await pushAgentWork({ mirrors: good, url: httpsUrl, worktree: wt.path, team: 't5', agent: 'w1', baseCommit: wt.baseCommit });
      expect(await git(remote, 'rev-parse', workRef('t5', 'w1'))).toBe(pushed.snapshot);
      // Nothing under the mirror or the worktree holds the token.
      const grep = await git(dir, 'grep', '--no-index', '-l', '-I', token, '--', join(h, 'mirrors'), join(h, 'worktrees')).catch(() => '');
      expect(grep).toBe('');

      const h2 = await home('e2');
      const bad = new RepoMirrors({ home: h2, credentials: { username: 'godel', password: 'wrong-password-9', caFile: https.caFile } });
      const err = await bad.ensure(httpsUrl).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'workspace.auth_failed' });
      expect(JSON.stringify(err) + String(err)).not.toContain('wrong-password-9');
      const none = new RepoMirrors({ home: h2, credentials: { caFile: https.caFile } });
      expect(await codeOf(none.ensure(httpsUrl))).toBe('workspace.auth_failed');
      expect(await readdir(join(h2, 'mirrors'))).toEqual([]);
    } finally {
      await https.stop();
    }
  });

  it('a push that is not a fast-forward of what was expected: workspace.non_fast_forward', async () => {
    const m = new RepoMirrors({ home: await home('g1') });
    const mirror = await m.ensure(url);
    const main = await git(mirror, 'rev-parse', 'refs/heads/main');
    const tree = await git(mirror, 'rev-parse', 'main^{tree}');
    const stray = await git(mirror, 'commit-tree', tree, '-m', 'stray');
    expect(await codeOf(m.push(url, [`${stray}:refs/heads/main`]))).toBe('workspace.non_fast_forward');
    const child = await git(mirror, 'commit-tree', tree, '-p', main, '-m', 'child');
    expect(await codeOf(m.push(url, [`${child}:refs/heads/main`], { expect: { 'refs/heads/main': stray } }))).toBe('workspace.non_fast_forward');
    expect(await git(remote, 'rev-parse', 'main')).toBe(main);
  });
});
