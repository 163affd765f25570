import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUARD_REASON_PREFIX } from './guard-protocol';
import { readVariants, resolveLikePi, ToolCallPolicy, type GuardVerdict } from './tool-call-policy';

/** Real directories and symlinks in a temp dir: root/wt is the worktree, root/out is outside. */
describe('ToolCallPolicy', () => {
  let root: string;
  let wt: string;
  let out: string;
  let home: string;
  let shared: string;
  let policy: ToolCallPolicy;

  beforeEach(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'godel-policy-')));
    wt = join(root, 'wt');
    out = join(root, 'out');
    home = join(root, 'home');
    shared = join(root, 'shared', 'node_modules');
    await Promise.all([mkdir(join(wt, 'src', 'deep'), { recursive: true }), mkdir(out), mkdir(home), mkdir(join(shared, 'lib'), { recursive: true })]);
    await writeFile(join(out, 'secret.txt'), 'secret\n');
    await symlink(shared, join(wt, 'node_modules'));
    policy = new ToolCallPolicy({ worktree: wt, homeDir: home, readRoots: [shared] });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const check = (tool: string, input: Record<string, unknown>, cwd = wt) => policy.check(tool, input, cwd);
  const allowed = { allowed: true };
  function refused(verdict: GuardVerdict) {
    expect(verdict.allowed).toBe(false);
    if (verdict.allowed) throw new Error('unreachable');
    expect(verdict.reason.startsWith(`${GUARD_REASON_PREFIX} `)).toBe(true);
    return verdict;
  }

  it('allows paths inside, relative or absolute, including ones that do not exist yet', async () => {
    expect(await check('read', { path: 'src/a.txt' })).toEqual(allowed);
    expect(await check('write', { path: 'src/new/dir/b.txt', content: '' })).toEqual(allowed);
    expect(await check('edit', { path: join(wt, 'src', 'a.txt'), edits: [] })).toEqual(allowed);
    expect(await check('write', { path: '../wt/src/c.txt', content: '' })).toEqual(allowed);
    expect(await check('read', { path: '../a.txt' }, join(wt, 'src'))).toEqual(allowed);
    expect(await check('read', { path: '@src/a.txt' })).toEqual(allowed);
  });

  it('refuses .. escapes, absolute paths outside, @-prefixed and ~ paths, naming where they land', async () => {
    expect(refused(await check('read', { path: '../out/secret.txt' })).findings).toEqual([{ path: '../out/secret.txt', resolvedPath: join(out, 'secret.txt'), rule: 'outside' }]);
    expect(refused(await check('read', { path: '/etc/passwd' })).reason).toContain('"/etc/passwd" resolves to /etc/passwd, which is outside');
    refused(await check('read', { path: '../../../../../../../../etc/passwd' }));
    refused(await check('read', { path: '../../a.txt' }, join(wt, 'src')));
    refused(await check('write', { path: `${out}/x`, content: '' }));
    refused(await check('write', { path: '@/etc/x', content: '' }));
    expect(refused(await check('read', { path: '~/.profile' })).findings[0].resolvedPath).toBe(join(home, '.profile'));
    refused(await check('read', { path: '~' }));
  });

  it('follows symlinks inside the worktree: to a file outside, to a directory outside, dangling to outside', async () => {
    await symlink(join(out, 'secret.txt'), join(wt, 'link.txt'));
    await symlink(out, join(wt, 'outdir'));
    await symlink(join(out, 'not-yet.txt'), join(wt, 'dangling.txt'));
    refused(await check('read', { path: 'link.txt' }));
    refused(await check('read', { path: 'outdir/secret.txt' }));
    refused(await check('write', { path: 'outdir/new.txt', content: '' }));
    refused(await check('write', { path: 'dangling.txt', content: '' }));
    refused(await check('edit', { path: 'link.txt', edits: [] }));
  });

  it('resolves a relative path as pi does (lexical ..), an absolute one as the kernel does (.. after symlinks)', async () => {
    // pi opens path.resolve(cwd, "sub/../b") = wt/b, a link outside; the physical reading of the
    // raw string (sub -> wt/src/deep, .. -> wt/src, b -> missing) would say "inside".
    await symlink(join(wt, 'src', 'deep'), join(wt, 'sub'));
    await symlink(join(out, 'secret.txt'), join(wt, 'b'));
    refused(await check('read', { path: 'sub/../b' }));
    // Absolute: pi passes it through untouched, so outdir/.. is the parent of the link's target.
    await symlink(join(out), join(wt, 'outdir'));
    refused(await check('read', { path: `${wt}/outdir/../out/secret.txt` }));
    expect(resolveLikePi('sub/../b', wt, home)).toBe(join(wt, 'b'));
    expect(resolveLikePi(`${wt}/outdir/..`, wt, home)).toBe(`${wt}/outdir/..`);
  });

  it('checks the spellings pi read falls back to (curly quote variant that is a link outside)', async () => {
    await symlink(join(out, 'secret.txt'), join(wt, 'it\u2019s.txt'));
    refused(await check('read', { path: "it's.txt" }));
    // write does not try variants: it creates exactly "it's.txt", inside.
    expect(await check('write', { path: "it's.txt", content: '' })).toEqual(allowed);
    expect(readVariants("/a/it's 10.00.00 AM.png")).toEqual([
      "/a/it's 10.00.00 AM.png",
      "/a/it's 10.00.00\u202FAM.png",
      '/a/it\u2019s 10.00.00 AM.png',
    ]);
  });

  it('lets read-only tools into readRoots (a shared node_modules), never write, edit or bash', async () => {
    expect(await check('read', { path: 'node_modules/lib/index.js' })).toEqual(allowed);
    expect(await check('ls', { path: 'node_modules' })).toEqual(allowed);
    expect(await check('grep', { pattern: 'x', path: 'node_modules' })).toEqual(allowed);
    expect(await check('find', { pattern: '*.js', path: 'node_modules/lib' })).toEqual(allowed);
    refused(await check('write', { path: 'node_modules/lib/index.js', content: '' }));
    refused(await check('edit', { path: 'node_modules/lib/index.js', edits: [] }));
    refused(await check('bash', { command: 'rm -rf node_modules/lib' }));
    const strict = new ToolCallPolicy({ worktree: wt, homeDir: home });
    refused(await strict.check('read', { path: 'node_modules/lib/index.js' }, wt));
  });

  it('ls, grep and find default to the cwd; their path is checked', async () => {
    for (const tool of ['ls', 'grep', 'find']) {
      expect(await check(tool, { pattern: 'x' })).toEqual(allowed);
      expect(await check(tool, { pattern: 'x', path: '' })).toEqual(allowed);
      refused(await check(tool, { pattern: 'x', path: '..' }));
      refused(await check(tool, { pattern: 'x' }, out));
    }
  });

  it('bash: best-effort scan (absolute paths, .., cd out, ~ and $HOME); plain commands pass', async () => {
    for (const command of ['ls', 'git status', 'npm test', 'echo hi > src/out.txt', 'cd src && cat ../README.md', 'cat /dev/null', 'grep -r foo .']) {
      expect([command, await check('bash', { command })]).toEqual([command, allowed]);
    }
    expect(refused(await check('bash', { command: 'cat /etc/passwd' })).findings).toEqual([{ path: '/etc/passwd', resolvedPath: '/etc/passwd', rule: 'outside' }]);
    expect(refused(await check('bash', { command: 'cd .. && ls' })).findings).toEqual([{ path: '..', resolvedPath: root, rule: 'outside' }]);
    expect(refused(await check('bash', { command: 'ls ~' })).findings[0]).toMatchObject({ rule: 'home' });
    expect(refused(await check('bash', { command: 'cat $HOME/.ssh/id_rsa' })).reason).toContain('(the home directory)');
    refused(await check('bash', { command: 'cd src; cd ../..; cat wt/x' }));
    refused(await check('bash', { command: `echo x > ${out}/y` }));
  });

  it('fails closed on what it cannot judge: unknown tools, non-string paths, symlink loops', async () => {
    expect(refused(await check('web_fetch', { url: 'http://x' })).findings[0].rule).toBe('unknown_tool');
    expect(refused(await check('read', { path: 42 })).findings[0].rule).toBe('invalid');
    expect(refused(await check('bash', {})).findings[0].rule).toBe('invalid');
    expect(refused(await check('read', { path: 'a\0b' })).findings[0].rule).toBe('invalid');
    await symlink('loop', join(wt, 'loop'));
    expect(refused(await check('read', { path: 'loop' })).findings[0].rule).toBe('symlink_loop');
  });
});
