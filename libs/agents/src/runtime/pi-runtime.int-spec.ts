/**
 * Real: a `pi --mode rpc` process (node_modules/.bin/pi) in a temp git repo, HTTP to the scripted
 * model on 127.0.0.1. Nothing mocked; the "model" is a script, named as such.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startScriptedModel, type ScriptedModel } from '@godel/scripted-model';
import { writeSettingsJson } from '../pi/agent-dir';
import { addUsage, emptyUsage, waitForAgentEnd, type AgentRuntimeEvent, type AgentRuntimeEventOf } from './agent-runtime';
import { PiRuntime } from './pi-runtime';
import { WRITER_SCRIPT, expectGone, requirePiBin, writeScriptedModels } from '../../../../test/agents/pi-test-kit';

const PI_BIN = requirePiBin(__dirname);
const TURN_TIMEOUT_MS = 20_000;

describe('PiRuntime with a real pi and the scripted model', () => {
  let model: ScriptedModel;
  let root: string;
  const runtimes: PiRuntime[] = [];

  beforeAll(async () => {
    model = await startScriptedModel({
      models: ['scripted', 'scripted-b'],
      script: {
        scripts: {
          writer: WRITER_SCRIPT,
          broken: [{ error: { status: 500, message: 'upstream exploded' } }],
          slow: [{ text: 'too late', delayMs: 3_000 }],
        },
      },
    });
  });

  afterAll(async () => {
    await model?.close();
  });

  beforeEach(async () => {
    model.reset();
    root = await mkdtemp(join(tmpdir(), 'godel-pi-runtime-'));
  });

  afterEach(async () => {
    const pids = runtimes.map((r) => r.process?.pid).filter((pid): pid is number => pid !== undefined);
    await Promise.all(runtimes.splice(0).map((r) => r.stop({ graceMs: 1_000 })));
    pids.forEach(expectGone);
    await rm(root, { recursive: true, force: true });
  });

  async function startRuntime(): Promise<{ rt: PiRuntime; repo: string; events: AgentRuntimeEvent[] }> {
    const repo = join(root, 'repo');
    const agentDir = join(root, 'agent');
    const home = join(root, 'home');
    await Promise.all([mkdir(repo), mkdir(home)]);
    const baseEnv = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home };
    execFileSync('git', ['init', '-q'], { cwd: repo, env: baseEnv });
    await writeScriptedModels(agentDir, model);
    await writeSettingsJson(agentDir, { retry: { enabled: false, provider: { maxRetries: 0 } } });
    const rt = new PiRuntime({
      cwd: repo,
      agentDir,
      noSession: true,
      provider: 'scripted',
      model: 'scripted',
      tools: ['read', 'bash', 'edit', 'write'],
      baseEnv,
      piBin: PI_BIN,
    });
    runtimes.push(rt);
    const events: AgentRuntimeEvent[] = [];
    rt.onEvent((e) => events.push(e));
    await rt.start();
    return { rt, repo, events };
  }

  it('drives a tool-call run: normalized events in order, usage events summing to getStats', async () => {
    const { rt, repo, events } = await startRuntime();
    expect(rt.capabilities).toEqual({ steer: true, followUp: true, setModel: true, processPerPrompt: false });
    expect(await rt.getState()).toMatchObject({ busy: false, model: { provider: 'scripted', id: 'scripted' }, pendingMessages: 0, pid: rt.process?.pid });

    const end = waitForAgentEnd(rt, { timeoutMs: TURN_TIMEOUT_MS });
    await rt.prompt('[script:writer] Create hello.txt with a greeting.');
    expect((await end).data).toEqual({ ok: true, reason: 'completed', detail: 'stop', text: 'I wrote hello.txt.' });

    expect(await readFile(join(repo, 'hello.txt'), 'utf8')).toBe('hello from the script\n');
    expect(events.map((e) => e.kind)).toEqual([
      'turn.start',
      'message',
      'usage',
      'tool.start',
      'tool.end',
      'turn.end',
      'turn.start',
      'message',
      'usage',
      'turn.end',
      'agent.end',
    ]);
    expect(events[1].data).toEqual({ role: 'user', text: '[script:writer] Create hello.txt with a greeting.' });
    expect(events[3].data).toMatchObject({ name: 'write', args: { path: 'hello.txt' } });
    expect(events[4].data).toMatchObject({ name: 'write', isError: false, output: expect.any(String) });
    expect(events[7].data).toEqual({ role: 'assistant', text: 'I wrote hello.txt.', model: 'scripted' });

    const usage = events.filter((e): e is AgentRuntimeEventOf<'usage'> => e.kind === 'usage').map((e) => e.data);
    expect(usage.map((u) => [u.inputTokens, u.outputTokens])).toEqual([
      [120, 30],
      [200, 10],
    ]);
    const summed = usage.reduce(addUsage, emptyUsage());
    expect(summed).toEqual({ inputTokens: 320, outputTokens: 40, cacheRead: 0, cacheWrite: 0, costUsd: 0, totalTokens: 360 });
    expect(await rt.getStats()).toEqual(summed);

    await rt.setModel('scripted', 'scripted-b');
    expect((await rt.getState()).model).toEqual({ provider: 'scripted', id: 'scripted-b' });
    expect(await rt.stop()).toEqual({ code: 0, signal: null });
    await expect(rt.exited).resolves.toEqual({ code: 0, signal: null });
    await expect(rt.prompt('after stop')).rejects.toMatchObject({ code: 'agent.process_exited' });
  });

  it('a model 500 is an error event (agent.run_failed) and a failed agent.end', async () => {
    const { rt, events } = await startRuntime();
    const end = waitForAgentEnd(rt, { timeoutMs: TURN_TIMEOUT_MS });
    await rt.prompt('[script:broken] hello');
    expect((await end).data).toMatchObject({ ok: false, reason: 'failed', detail: 'error: 500 upstream exploded' });
    const error = events.find((e): e is AgentRuntimeEventOf<'error'> => e.kind === 'error');
    expect(error?.data).toMatchObject({ message: '500 upstream exploded', error: { code: 'agent.run_failed' } });
  });

  it('pi killed during a run: error (agent.process_exited) and agent.end exited, then exited resolves', async () => {
    const { rt, events } = await startRuntime();
    // The script answers after 3 s, so pi is mid-run when it dies.
    const end = waitForAgentEnd(rt, { timeoutMs: TURN_TIMEOUT_MS });
    const started = new Promise<void>((resolve) => rt.onEvent((e) => e.kind === 'turn.start' && resolve()));
    await rt.prompt('[script:slow] take your time');
    await started;
    process.kill(rt.process?.pid as number, 'SIGKILL');
    expect((await end).data).toMatchObject({ ok: false, reason: 'exited', exit: { signal: 'SIGKILL' } });
    expect(events.find((e) => e.kind === 'error')?.data).toMatchObject({ error: { code: 'agent.process_exited' } });
    await expect(rt.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('a missing pi binary is agent.runtime_missing from start(), and the runtime is finished', async () => {
    const rt = new PiRuntime({ cwd: root, agentDir: join(root, 'agent'), provider: 'scripted', model: 'scripted', noSession: true, baseEnv: {}, piBin: join(root, 'no-pi') });
    await expect(rt.start()).rejects.toMatchObject({ code: 'agent.runtime_missing' });
    await expect(rt.exited).resolves.toEqual({ code: null, signal: null });
  });
});
