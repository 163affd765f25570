/**
 * The inside network relay never outlives the sandboxed command. Real: bubblewrap, node child
 * processes standing in for the Godel server, SIGKILL/SIGSTOP. Mocked: nothing.
 *
 * Why this needs more than `--unshare-pid --die-with-parent`: bwrap's pid 1 (its init) sets its own
 * parent-death signal only after the mount setup. When the outer bwrap dies in that window (the
 * server was SIGKILLed a few ms after starting a sandbox: the outer bwrap follows it through its own
 * parent-death signal), the init never learns it and waits for every process of the namespace. The
 * command (pi) ends on its closed stdin; the relay, a child of the command, was then kept forever.
 *
 * Every process a test starts carries `RELAY_TEST=<mark>` in its environment; scans look only at those.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { Sandbox, type SandboxedCommand } from '@godel/sandbox';

const PATH = '/usr/local/bin:/usr/bin:/bin';
let marks = 0;
const newMark = () => `rl${process.pid}x${++marks}x${Date.now()}`;

interface Proc {
  pid: number;
  ppid: number;
  relay: boolean;
}

/** The live processes carrying `mark` (the relay is `node -e <relay source>`). */
function ours(mark: string): Proc[] {
  const found: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(`RELAY_TEST=${mark}`)) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0');
      const state = readFileSync(`/proc/${name}/status`, 'latin1');
      if (/^State:\s+Z/m.test(state)) continue;
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(state)?.[1]);
      found.push({ pid: Number(name), ppid, relay: argv[1] === '-e' && argv[2].includes('godel sandbox relay') });
    } catch {
      // Gone meanwhile, or not readable.
    }
  }
  return found;
}

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** SIGKILLs (by pid) whatever a test left behind; returns what it found. */
function reap(mark: string): Proc[] {
  const left = ours(mark);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return left;
}

/** A stand-in for the Godel server: spawns the prepared command like pi-rpc-process, then SIGKILLs itself after `delayMs`. */
const SERVER_SOURCE = [
  "const {spawn}=require('child_process');",
  'const cmd=JSON.parse(process.argv[1]);',
  "spawn(cmd.file,cmd.args,{cwd:cmd.cwd,env:cmd.env,stdio:'pipe',detached:true});",
  'const t=process.hrtime.bigint(),d=BigInt(Math.round(Number(process.argv[2])*1e6));',
  'while(process.hrtime.bigint()-t<d);',
  "process.kill(process.pid,'SIGKILL');",
].join('');

function serverKilledAfter(cmd: SandboxedCommand, delayMs: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', SERVER_SOURCE, JSON.stringify(cmd), String(delayMs)], { env: { PATH }, stdio: 'ignore' });
    child.on('exit', () => resolve());
    child.on('error', () => resolve());
  });
}

describe('Sandbox network relay lifetime (bubblewrap)', () => {
  const sandbox = new Sandbox();
  const cwd = tmpdir();
  const prepare = (mark: string, script: string) =>
    sandbox.prepare({ file: '/bin/sh', args: ['-c', script], cwd, env: { PATH, RELAY_TEST: mark }, loopbackPorts: [6379], egressHosts: ['example.com:443'] });

  it('ends when the command is gone even though bwrap keeps the sandbox up (outer bwrap stopped, command SIGKILLed)', async () => {
    const mark = newMark();
    const cmd = await prepare(mark, 'sleep 600');
    const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env, stdio: 'ignore', detached: true });
    try {
      const relay = await until('the relay', () => ours(mark).find((p) => p.relay));
      // The outer bwrap would take the namespace down when the command ends; stopped, it cannot
      // (as when it died before bwrap's init armed its parent-death signal).
      process.kill(child.pid!, 'SIGSTOP');
      process.kill(relay.ppid, 'SIGKILL'); // the command: the relay is its child
      await sleep(2_500);
      expect(ours(mark).filter((p) => p.relay)).toEqual([]);
    } finally {
      reap(mark);
      await cmd.close();
    }
  });

  it('ends with the command when the server is SIGKILLed while the sandbox starts (bwrap init race)', async () => {
    const mark = newMark();
    const cmds: SandboxedCommand[] = [];
    try {
      // Delays spread over bwrap's set-up; on the old relay several of these rounds left a relay behind.
      const delays = Array.from({ length: 32 }, (_, i) => (i % 16) * 0.75);
      for (let i = 0; i < delays.length; i += 4) {
        const batch = await Promise.all(delays.slice(i, i + 4).map(() => prepare(mark, 'read line')));
        cmds.push(...batch);
        await Promise.all(batch.map((cmd, j) => serverKilledAfter(cmd, delays[i + j])));
      }
      await sleep(3_000);
      expect(ours(mark).filter((p) => p.relay)).toEqual([]);
    } finally {
      // bwrap itself may hang before starting anything when its outer process dies even earlier
      // (a bwrap bug outside the relay): those processes carry the mark too and are ended here.
      reap(mark);
      await Promise.all(cmds.map((c) => c.close()));
    }
  });

  it.each([
    ['the command exits by itself', 'exit'],
    ['the command is SIGKILLed', 'command'],
    ['the process group of the sandbox is SIGKILLed', 'group'],
    ['the server is SIGKILLed once the sandbox is up', 'server'],
  ])('ends when %s', async (_what, how) => {
    const mark = newMark();
    const cmd = await prepare(mark, how === 'exit' ? 'sleep 3' : 'read line');
    try {
      if (how === 'server') {
        const server = serverKilledAfter(cmd, 1_500);
        await until('the relay', () => ours(mark).find((p) => p.relay));
        await server;
      } else {
        const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env, stdio: 'pipe', detached: true });
        const relay = await until('the relay', () => ours(mark).find((p) => p.relay));
        if (how === 'command') process.kill(relay.ppid, 'SIGKILL');
        if (how === 'group') process.kill(-child.pid!, 'SIGKILL');
        await new Promise((resolve) => child.on('close', resolve));
      }
      await until('no process of the sandbox', () => (ours(mark).length === 0 ? true : undefined), 5_000);
    } finally {
      expect(reap(mark)).toEqual([]);
      await cmd.close();
    }
  });
});
