/**
 * Real processes, fake pi: small node scripts standing in for a wedged, a chatty or a crashing pi,
 * plus the real pi started without node on its PATH. Nothing mocked inside this process.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AgentTimeoutError } from './errors';
import { locatePiBin } from './pi-launch';
import type { PiEvent } from './pi-protocol';
import { PiRpcProcess, type PiRpcStartOptions } from './pi-rpc-process';
import { MAX_READY_WINDOWS, treeSched, type SchedProbe } from './starved';

/** Reads stdin, never answers, shrugs off stdin EOF and SIGTERM: only SIGKILL ends it. */
const WEDGED = `
process.on('SIGTERM', () => {});
process.stdin.on('data', () => {});
process.stdin.on('end', () => {});
setInterval(() => {}, 1000);
`;

/** A fake pi's command loop: `answer` runs per command, with `reply` (the success line) in scope. */
const answering = (answer: string) => `
let buffer = '';
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let i = buffer.indexOf('\\n'); i >= 0; i = buffer.indexOf('\\n')) {
    const command = JSON.parse(buffer.slice(0, i));
    buffer = buffer.slice(i + 1);
    const reply = JSON.stringify({ id: command.id, type: 'response', command: command.type, success: true, data: { sessionId: 'fake', messageCount: 0 } }) + '\\n';
    ${answer}
  }
});
process.stdin.on('end', () => process.exit(0));
`;

/** Answers every command, but writes non-protocol lines around its answers. */
const CHATTY = `
process.stdout.write('pi v0 starting (this is not json)\\n');
process.stdout.write('[1,2,3]\\n');
process.stdout.write(JSON.stringify({ type: 'response', command: 'nobody_asked', success: true }) + '\\n');
${answering(`process.stdout.write('{"type": "agent_st');
    process.stdout.write('art"}\\nWARN something odd\\n');
    process.stdout.write(reply);`)}`;

/** Answers like CHATTY, but only 1.2 s after it was asked: a start slowed by a busy box. */
const SLOW = answering('setTimeout(() => process.stdout.write(reply), 1200);');

/** Dies on its first command, after saying why on stderr. */
const CRASHING = `
process.stdin.once('data', () => {
  process.stderr.write('fatal: out of cheese\\n');
  process.exit(3);
});
`;

function expectGone(pid: number): void {
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
}

describe('PiRpcProcess when pi misbehaves', () => {
  let root: string;
  let cwd: string;
  const started: PiRpcProcess[] = [];
  const baseEnv = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'godel-pi-faults-'));
    cwd = join(root, 'work');
    await mkdir(cwd);
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop({ graceMs: 200 })));
    await rm(root, { recursive: true, force: true });
  });

  async function fakePi(name: string, source: string): Promise<string> {
    const path = join(root, name);
    await writeFile(path, `#!${process.execPath}\n${source}`);
    await chmod(path, 0o755);
    return path;
  }

  function options(piBin: string, extra: Partial<PiRpcStartOptions> = {}): PiRpcStartOptions {
    return { cwd, agentDir: join(root, 'agent'), provider: 'scripted', model: 'scripted', noSession: true, baseEnv, piBin, ...extra };
  }

  async function start(piBin: string, extra: Partial<PiRpcStartOptions> = {}): Promise<PiRpcProcess> {
    const pi = await PiRpcProcess.start(options(piBin, extra));
    started.push(pi);
    return pi;
  }

  it('(c) a wedged process: getState rejects with agent.timeout at the deadline, stop() SIGKILLs it', async () => {
    const pi = await start(await fakePi('wedged-pi', WEDGED), { waitForReady: false });
    const asked = Date.now();
    const err = await pi.getState({ timeoutMs: 300 }).catch((e: unknown) => e);
    const waited = Date.now() - asked;
    expect(err).toBeInstanceOf(AgentTimeoutError);
    expect(err).toMatchObject({ code: 'agent.timeout', retryable: true, details: { operation: 'get_state', timeoutMs: 300 } });
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2_000);
    expect(pi.running).toBe(true);

    const exit = await pi.stop({ graceMs: 400 });
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(pi.running).toBe(false);
    expectGone(pi.pid);
    await expect(pi.getState()).rejects.toMatchObject({ code: 'agent.process_exited' });
  });

  it('(c) start() gives up on a wedged process after readyTimeoutMs and kills it', async () => {
    const err = await PiRpcProcess.start(options(await fakePi('wedged-pi', WEDGED), { readyTimeoutMs: 300 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'agent.timeout', details: { operation: 'startup', timeoutMs: 300 } });
    expectGone((err as AgentTimeoutError).details.pid as number);
  });

  it('a start the box starves gets more windows (up to MAX_READY_WINDOWS); one that waits for no CPU still ends after one', async () => {
    // The probe stands in for /proc: `starving` says pi's tree waited 2 s for a CPU in every window.
    let waited = 0;
    const starving: SchedProbe = async () => ({ cpuMs: 10, waitMs: (waited += 2_000) });
    const idle: SchedProbe = async () => ({ cpuMs: 10, waitMs: 0 });
    const slow = await fakePi('slow-pi', SLOW);
    const pi = await start(slow, { readyTimeoutMs: 400, schedProbe: starving });
    expect(pi.readyAfterMs).toBeGreaterThanOrEqual(1_200); // three windows of 400 ms
    const err = await PiRpcProcess.start(options(slow, { readyTimeoutMs: 400, schedProbe: idle })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'agent.timeout', details: { operation: 'startup', timeoutMs: 400 } });
    expectGone((err as AgentTimeoutError).details.pid as number);
    const t0 = Date.now();
    const wedged = await PiRpcProcess.start(options(await fakePi('wedged-pi', WEDGED), { readyTimeoutMs: 200, schedProbe: starving })).catch((e: unknown) => e);
    expect(wedged).toMatchObject({ code: 'agent.timeout', message: expect.stringContaining('renewed while the box kept it waiting for a CPU') });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(MAX_READY_WINDOWS * 200);
    expectGone((wedged as AgentTimeoutError).details.pid as number);
  });

  it('treeSched counts the CPU of a process and its descendants (/proc)', async () => {
    const { spawn } = await import('node:child_process');
    // A shell (a few ms of CPU) whose child burns 300 ms of CPU, then stays alive.
    const burn = 'while (process.cpuUsage().user < 300000); setTimeout(() => {}, 20000);';
    const sh = spawn('/bin/sh', ['-c', `${process.execPath} -e "${burn}"; sleep 20`], { env: baseEnv, stdio: 'ignore', detached: true });
    try {
      const end = Date.now() + 20_000;
      let t = await treeSched(sh.pid!);
      while ((t?.cpuMs ?? 0) < 250 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        t = await treeSched(sh.pid!);
      }
      expect(t!.cpuMs).toBeGreaterThanOrEqual(250);
      expect(await treeSched(2 ** 22 + 1)).toBeUndefined(); // no such process
    } finally {
      process.kill(-sh.pid!, 'SIGKILL'); // the shell's group: it and the burner
    }
  });

  it('(d) garbage on stdout becomes protocol_error events; the process keeps answering', async () => {
    const pi = await start(await fakePi('chatty-pi', CHATTY), { waitForReady: false });
    const events: PiEvent[] = [];
    pi.onEvent((e) => events.push(e));
    await expect(pi.getState()).resolves.toEqual({ sessionId: 'fake', messageCount: 0 });
    await expect(pi.getSessionStats()).resolves.toEqual({ sessionId: 'fake', messageCount: 0 });

    const garbage = events.filter((e) => e.type === 'protocol_error');
    expect(garbage.map((e) => e.line)).toEqual([
      'pi v0 starting (this is not json)',
      '[1,2,3]',
      '{"type":"response","command":"nobody_asked","success":true}',
      'WARN something odd',
      'WARN something odd',
    ]);
    const first = garbage[0].type === 'protocol_error' ? garbage[0].error : undefined;
    expect(first?.toJSON()).toMatchObject({ code: 'agent.protocol_error', retryable: false, details: { pid: pi.pid, reason: expect.stringContaining('not JSON') } });
    // A record split across writes is still one event.
    expect(events.filter((e) => e.type === 'agent_start')).toHaveLength(2);
    expect(pi.running).toBe(true);
    expect(await pi.stop()).toEqual({ code: 0, signal: null });
  });

  it('(e) a missing binary is agent.runtime_missing: by path, by name, and without node for the shebang', async () => {
    await expect(PiRpcProcess.start(options(join(root, 'no', 'such', 'pi')))).rejects.toMatchObject({
      code: 'agent.runtime_missing',
      retryable: false,
    });
    await expect(PiRpcProcess.start(options('pi-that-is-not-installed'))).rejects.toMatchObject({
      code: 'agent.runtime_missing',
      details: { errno: 'ENOENT' },
    });
    const realPi = locatePiBin(__dirname) as string;
    const noNode = PiRpcProcess.start(options(realPi, { baseEnv: { PATH: join(root, 'empty-bin') } }));
    await expect(noNode).rejects.toMatchObject({ code: 'agent.runtime_missing', details: { stderrTail: expect.stringContaining('node') } });
  });

  it('a missing workspace is agent.spawn_failed, not runtime_missing', async () => {
    await expect(PiRpcProcess.start(options(await fakePi('chatty-pi', CHATTY), { cwd: join(root, 'gone') }))).rejects.toMatchObject({
      code: 'agent.spawn_failed',
      details: { reason: 'cwd_missing' },
    });
  });

  it('a crash fails the waiting command with agent.process_exited, carrying exit code and stderr', async () => {
    const pi = await start(await fakePi('crashing-pi', CRASHING), { waitForReady: false });
    const waiting = pi.waitForEvent('agent_end', { timeoutMs: 5_000 });
    const err = await pi.getState({ timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'agent.process_exited', retryable: true, details: { code: 3, stderrTail: 'fatal: out of cheese\n' } });
    await expect(waiting).rejects.toMatchObject({ code: 'agent.process_exited' });
    await expect(pi.exited).resolves.toEqual({ code: 3, signal: null });
    const iterated: PiEvent[] = [];
    for await (const e of pi.events()) iterated.push(e);
    expect(iterated).toEqual([]);
  });
});
