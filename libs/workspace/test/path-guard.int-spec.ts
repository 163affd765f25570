/**
 * PathGuard on a real directory tree with real symlinks (the guard's answers depend on the file
 * system, so nothing here is simulated).
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWorkspaceError } from '../src/errors/workspace-error';
import { PathGuard } from '../src/guard/path-guard';
import { makeTempDir } from './temp-repo';

jest.setTimeout(15_000);

let tmp: { dir: string; dispose(): Promise<void> };
let wt: string;
let outside: string;
let guard: PathGuard;
beforeEach(async () => {
  tmp = await makeTempDir();
  wt = join(tmp.dir, 'worktrees', 'team', 'agent');
  outside = join(tmp.dir, 'outside');
  await mkdir(join(wt, 'src', 'deep'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(wt, 'src', 'a.ts'), 'export {};\n');
  await writeFile(join(outside, 'secret'), 'top secret\n');
  await symlink('/etc', join(wt, 'etc-link')); // absolute, out
  await symlink('../../../../outside', join(wt, 'src', 'rel-out')); // relative, out (to <tmp>/outside)
  await symlink('deep', join(wt, 'src', 'in-link')); // relative, in
  await symlink(join(outside, 'not-yet'), join(wt, 'dangling')); // target missing, out
  await symlink('loop-b', join(wt, 'loop-a'));
  await symlink('loop-a', join(wt, 'loop-b'));
  await symlink(join(tmp.dir, 'worktrees'), join(tmp.dir, 'alias')); // the worktree seen through a symlinked parent
  guard = new PathGuard(wt);
});
afterEach(async () => {
  await tmp.dispose();
});

describe('check', () => {
  it.each([
    ['../../etc/passwd', undefined],
    ['../../../../../../../../etc/passwd', undefined],
    ['/etc/passwd', undefined],
    ['..', undefined],
    ['../agent-2/file', undefined], // a sibling worktree
    ['etc-link/passwd', undefined], // symlink to /etc
    ['src/rel-out/secret', undefined], // relative symlink out
    ['dangling', undefined], // writing here would create a file outside
    ['dangling/x', undefined],
    ['etc-link/../x', undefined], // physically the parent of /etc, i.e. "/x"; lexically it would look inside
    ['../x', 'src/..'],
    ['../../x', 'src'],
    ['x', '/tmp'],
    ['loop-a/x', undefined],
  ])('%s (cwd %s) is outside', async (path, cwd) => {
    const result = await guard.check(path, cwd);
    expect(result.inside).toBe(false);
    expect(result.reason).toMatch(/outside|symlink_loop/);
  });

  it.each([
    ['src/a.ts', undefined, 'src/a.ts'],
    ['src/new/dir/file.ts', undefined, 'src/new/dir/file.ts'], // does not exist yet
    ['./src/../src/a.ts', undefined, 'src/a.ts'],
    ['src/in-link/file', undefined, 'src/deep/file'], // symlink that stays inside
    ['src/in-link/../a.ts', undefined, 'src/a.ts'], // .. from the link target src/deep
    ['../a.ts', 'src/deep', 'src/a.ts'],
    ['', undefined, ''],
    ['.', 'src', 'src'],
  ])('%s (cwd %s) is inside as %s', async (path, cwd, relativePath) => {
    const result = await guard.check(path, cwd);
    expect(result).toMatchObject({ inside: true, relativePath });
    expect(result.resolvedPath).toBe(join(wt, relativePath));
  });

  it('takes absolute paths inside the worktree, also through a symlinked parent', async () => {
    expect((await guard.check(join(wt, 'src', 'a.ts'))).inside).toBe(true);
    expect((await guard.check(join(tmp.dir, 'alias', 'team', 'agent', 'src'))).inside).toBe(true);
    const aliased = new PathGuard(join(tmp.dir, 'alias', 'team', 'agent'));
    expect((await aliased.check(join(wt, 'src'))).inside).toBe(true);
    expect((await aliased.check('../../../outside/secret')).inside).toBe(false);
  });

  it('reports a symlink loop as outside', async () => {
    expect(await guard.check('loop-a')).toMatchObject({ inside: false, reason: 'symlink_loop' });
  });

  it('rejects NUL bytes', async () => {
    expect(await guard.check('src/a.ts\0/etc/passwd')).toMatchObject({ inside: false, reason: 'invalid' });
  });

  it('allows extra roots when asked (e.g. a shared node_modules for reading)', async () => {
    const reader = new PathGuard(wt, { allowedRoots: [outside] });
    expect(await reader.check('src/rel-out/secret')).toMatchObject({ inside: true, resolvedPath: join(outside, 'secret') });
    expect((await reader.check('/etc/passwd')).inside).toBe(false);
  });

  it('assertInside throws workspace.path_escape with details', async () => {
    await expect(guard.assertInside('src/a.ts')).resolves.toBe(join(wt, 'src', 'a.ts'));
    const err = await guard.assertInside('etc-link/passwd').catch((e: unknown) => e);
    expect(isWorkspaceError(err, 'workspace.path_escape')).toBe(true);
    expect((err as { toJSON(): unknown }).toJSON()).toMatchObject({
      code: 'workspace.path_escape',
      retryable: false,
      details: { requestedPath: 'etc-link/passwd', resolvedPath: '/etc/passwd', worktreePath: wt },
    });
  });
});

describe('checkBashCommand', () => {
  const flagged = async (cmd: string, cwd?: string) => (await guard.checkBashCommand(cmd, cwd)).findings.map((f) => f.path);

  it.each([
    ['cat ../../etc/passwd', ['../../etc/passwd']],
    ['cat /etc/passwd', ['/etc/passwd']],
    ['cat etc-link/passwd', ['etc-link/passwd']], // a relative path through a symlink
    ['echo pwned > /etc/motd', ['/etc/motd']],
    ['cd .. && rm -rf *', ['..', '*']], // once the cwd is outside, every relative argument is
    ['cd src/rel-out; cat secret', ['src/rel-out', 'secret']],
    ['cp ~/.ssh/id_rsa .', ['~']],
    ['cat "$HOME/.aws/credentials"', ['$HOME']],
    ['cd', ['~']],
    [`python3 -c "print(open('/etc/shadow').read())"`, ['/etc/shadow']],
    ['gcc -I/usr/include -o../out x.c', ['/usr/include', '../out']],
    ['tar czf out.tgz --directory=/home .', ['/home']],
    ['(cd src) ; cat ../x', ['../x']], // the cd ran in a subshell: cwd is still the root
    ['ls | cd src ; cat ../x', ['../x']], // nor in a pipeline
    ['cat <<EOF > ../x\n/etc/passwd\nEOF\nls /var', ['../x', '/var']], // heredoc body skipped, the rest still read
  ])('flags %j', async (cmd, paths) => {
    expect(await flagged(cmd)).toEqual(paths);
  });

  it.each([
    'ls -la src && cat src/a.ts',
    'cd src && cat ../README.md && cd deep && ls ../../src',
    'npm test 2>/dev/null >&2',
    'git diff HEAD~1..HEAD -- src/a.ts',
    'curl -fsSL https://example.com/a/b/c.sh -o install.sh',
    "sed -i 's/foo/bar/g' src/a.ts",
    'echo "a # not a comment" # cat /etc/passwd',
    "grep -rn 'TODO' src | head -5",
    'cat src/in-link/../a.ts',
  ])('passes %j', async (cmd) => {
    expect(await guard.checkBashCommand(cmd)).toMatchObject({ ok: true, findings: [] });
  });

  it('tracks cd from a given cwd', async () => {
    expect(await flagged('cat ../a.ts', 'src/deep')).toEqual([]);
    expect(await flagged('cd .. && cd .. && cat ../x', 'src/deep')).toEqual(['../x']);
  });

  it('says what it could not analyse', async () => {
    const result = await guard.checkBashCommand('cat $TARGET; rm -rf $(dirname $PWD)');
    expect(result.ok).toBe(true); // not a proof of safety:
    expect(result.notes).toEqual(['not expanded: $TARGET', 'not expanded: $(dirname $PWD)']);
  });
});
