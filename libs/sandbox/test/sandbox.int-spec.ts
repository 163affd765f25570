/**
 * The sandbox itself. Real: bubblewrap, git, TCP servers on loopback, Redis on 127.0.0.1:6379.
 * Mocked: nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox, gitMounts, type SandboxRequest } from '@godel/sandbox';

const PATH = '/usr/local/bin:/usr/bin:/bin';

/** Runs a prepared command to its end (30 s at most); `detached` gives it a session of its own, as the agent host does. */
function run(cmd: { file: string; args: string[]; cwd: string; env: Record<string, string> }, detached = false): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', (err) => out += String(err));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out });
    });
  });
}

async function sh(sandbox: Sandbox, script: string, req: Partial<SandboxRequest> & { cwd: string }, detached = false): Promise<{ code: number; out: string }> {
  const cmd = await sandbox.prepare({ file: '/bin/sh', args: ['-c', script], env: { PATH }, writable: [req.cwd], ...req });
  try {
    return await run(cmd, detached);
  } finally {
    await cmd.close();
  }
}

function listen(answer: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((c) => c.end(answer));
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('Sandbox (bubblewrap)', () => {
  let root: string;
  let work: string;
  const sandbox = new Sandbox();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'godel-sandbox-'));
    work = join(root, 'work');
    await mkdir(work);
    await writeFile(join(root, 'secret.txt'), 'top secret');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('shows the command only its folders and the environment it was given', async () => {
    const r = await sh(sandbox, 'echo "$PATH|$SECRET"; cat ../secret.txt; ls /root /work 2>&1; echo hi > out.txt; echo x > /usr/x 2>&1; true', { cwd: work });
    expect(r.out).toContain(`${PATH}|\n`);
    expect(r.out).not.toContain('top secret');
    expect(r.out).toMatch(/No such file or directory/);
    expect(r.out).toMatch(/Read-only file system/);
    expect(await readFile(join(work, 'out.txt'), 'utf8')).toBe('hi\n');
  });

  it('sees no other process', async () => {
    const r = await sh(sandbox, 'cat /proc/[0-9]*/comm', { cwd: work });
    expect(r.out).toContain('sh');
    expect(r.out).not.toMatch(/redis|postgres|node|jest/);
  });

  it('reaches an allowed loopback port and no other (Redis stays unreachable)', async () => {
    const allowed = await listen('allowed-port-answer');
    const other = await listen('other-port-answer');
    try {
      const probe = (port: number) => `node -e "require('net').connect(${port},'127.0.0.1').on('data',d=>{console.log('GOT '+d);process.exit(0)}).on('error',e=>{console.log('ERR ${port} '+e.code);process.exit(0)})"`;
      const r = await sh(sandbox, `sleep 0.3; ${probe(allowed.port)}; ${probe(other.port)}; ${probe(6379)}`, { cwd: work, loopbackPorts: [allowed.port] });
      expect(r.out).toContain('GOT allowed-port-answer');
      expect(r.out).toContain(`ERR ${other.port} ECONNREFUSED`);
      expect(r.out).toContain('ERR 6379 ECONNREFUSED');
    } finally {
      allowed.server.close();
      other.server.close();
    }
  });

  it('egress proxy: CONNECT to an allowed host:port is tunnelled, anything else is refused and reported', async () => {
    const target = await listen('tunnel-answer');
    const denied: string[] = [];
    try {
      const connect = (to: string) =>
        `node -e "const c=require('net').connect(3128,'127.0.0.1',()=>c.write('CONNECT ${to} HTTP/1.1\\r\\n\\r\\n'));c.on('data',d=>process.stdout.write(String(d)));c.on('error',e=>console.log(e.code))"`;
      const r = await sh(sandbox, `sleep 0.3; ${connect(`127.0.0.1:${target.port}`)}; echo; ${connect('127.0.0.1:6379')}`, {
        cwd: work,
        egressHosts: [`127.0.0.1:${target.port}`],
        onEgressDenied: (t) => denied.push(t),
      });
      expect(r.out).toContain('200 Connection Established');
      expect(r.out).toContain('tunnel-answer');
      expect(r.out).toContain('403 Forbidden');
      expect(denied).toEqual(['127.0.0.1:6379']);
    } finally {
      target.server.close();
    }
  });

  it('git works in a worktree; the shared config, hooks and other worktrees are out of reach', async () => {
    const repo = join(root, 'repo');
    await mkdir(repo);
    const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });
    git(repo, 'init', '-q', '-b', 'main');
    await writeFile(join(repo, 'a.txt'), 'a\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'one');
    const wt = join(root, 'wts', 'a');
    const other = join(root, 'wts', 'b');
    git(repo, 'worktree', 'add', '-q', '-b', 'agent-a', wt);
    git(repo, 'worktree', 'add', '-q', '-b', 'agent-b', other);
    const mounts = gitMounts(wt, true);
    const r = await sh(
      sandbox,
      [
        'echo b > b.txt && git add b.txt && git -c user.name=a -c user.email=a@a commit -q -m two && echo COMMITTED',
        'git config core.hooksPath /tmp/evil 2>&1 || echo CONFIG_REFUSED',
        `echo evil > ${join(repo, '.git', 'hooks', 'post-checkout')} 2>&1 || echo HOOK_REFUSED`,
        `ls ${other} 2>&1 || echo OTHER_HIDDEN`,
        `cat ${join(repo, 'a.txt')} 2>&1 || echo MAIN_HIDDEN`,
        'rm -f .git 2>&1 || echo LINK_KEPT',
      ].join('; '),
      { cwd: wt, env: { PATH, HOME: wt }, writable: [wt, ...mounts.writable], readable: mounts.readable, hidden: mounts.hidden, readOnlyOver: mounts.readOnlyOver },
    );
    expect(r.out).toContain('COMMITTED');
    expect(r.out).toContain('CONFIG_REFUSED');
    expect(r.out).toContain('HOOK_REFUSED');
    expect(r.out).toContain('OTHER_HIDDEN');
    expect(r.out).toContain('MAIN_HIDDEN');
    expect(r.out).toContain('LINK_KEPT');
    expect(git(repo, 'log', '--format=%s', 'agent-a')).toBe('two\none\n');
    expect(() => git(repo, 'config', '--get', 'core.hooksPath')).toThrow();
  });

  it('fails closed without bubblewrap, naming the package', async () => {
    const missing = new Sandbox({ bwrap: join(root, 'no-bwrap') });
    await expect(missing.prepare({ file: '/bin/true', args: [], cwd: work, env: {} })).rejects.toMatchObject({ code: 'sandbox.unavailable', message: expect.stringContaining('bubblewrap') });
  });

  it('GODEL_SANDBOX=off runs the command as it is and warns at every start', async () => {
    const warnings: string[] = [];
    const off = new Sandbox({ mode: 'off', onWarn: (m) => warnings.push(m) });
    const r = await sh(off, 'cat ../secret.txt', { cwd: work });
    await sh(off, 'true', { cwd: work });
    expect(r.out).toBe('top secret');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('GODEL_SANDBOX=off');
  });

  it('runs every command below the control plane: niceness 10 by default, as configured, in both modes', async () => {
    // The shell's own niceness (field 19 of /proc/self/stat) and its session's autogroup niceness
    // (each sandbox is a session of its own: on an autogroup host only the latter counts); the
    // autogroup write may wait out the kernel's 100 ms limit, so the check waits for it.
    const script = "cut -d' ' -f19 /proc/self/stat; for i in 1 2 3 4 5 6 7 8 9 10; do grep -q 'nice 0$' /proc/self/autogroup || break; sleep 0.2; done; sed 's/.* nice //' /proc/self/autogroup";
    const niceOf = async (sb: Sandbox, detached = false) => (await sh(sb, script, { cwd: work }, detached)).out.trim().split('\n');
    const server = execFileSync('/bin/sh', ['-c', "cut -d' ' -f19 /proc/self/stat"], { encoding: 'utf8' }).trim();
    const plus = (n: number) => String(Math.min(19, Number(server) + n));
    expect(await niceOf(sandbox)).toEqual([plus(10), '10']);
    expect(await niceOf(new Sandbox({ nice: 15 }))).toEqual([plus(15), '15']);
    const off = new Sandbox({ mode: 'off', nice: 5, onWarn: () => undefined });
    expect(await niceOf(off, true)).toEqual([plus(5), '5']);
    const untouched = await niceOf(new Sandbox({ nice: 0 }));
    expect(untouched[0]).toBe(server);
    expect(untouched[1]).toBe('0');
  });

  it("leaves its caller's autogroup alone: an `off` command spawned in the caller's session is reniced, its session is not", async () => {
    // The CI harness may run in the root autogroup (whose /proc file reads empty), so the test makes
    // a session of its own and runs the check from there, as a caller that does not spawn detached.
    const off = new Sandbox({ mode: 'off', nice: 7, onWarn: () => undefined });
    const cmd = await off.prepare({ file: '/bin/sh', args: ['-c', "cut -d' ' -f19 /proc/self/stat; sleep 0.5"], cwd: work, env: { PATH } });
    const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const caller = `${[cmd.file, ...cmd.args].map(q).join(' ')}; sed 's/.* nice //' /proc/$$/autogroup`;
    const r = await run({ file: '/usr/bin/setsid', args: ['-w', '/bin/sh', '-c', caller], cwd: work, env: { PATH } });
    const [commandNice, callerGroup] = r.out.trim().split('\n');
    expect(Number(commandNice)).toBeGreaterThanOrEqual(7);
    expect(callerGroup).toBe('0');
  });
});
