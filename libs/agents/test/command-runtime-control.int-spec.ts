/**
 * CommandRuntime process control with real processes and fake CLIs: run and idle deadlines, process
 * group kills, abort and stop, failing and missing CLIs. Nothing mocked inside this process.
 */
import { copyFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { waitForAgentEnd, type AgentRuntimeEventOf } from '../src/runtime/agent-runtime';
import { CommandRuntime } from '../src/command/command-runtime';
import { FIXTURES, RUN_TIMEOUT_MS, commandRuntimeFixture, expectGone } from './command-runtime-test-kit';

jest.setTimeout(30_000);

describe('CommandRuntime process control with fake CLIs', () => {
  const fx = commandRuntimeFixture();
  const { env, runtime, run, hangPids, expectAllGone, kindsOf } = fx;

  it('a hanging CLI: agent.timeout at the run deadline, its process group (leader and grandchild) killed', async () => {
    const pidFile = join(fx.root, 'hang.json');
    const { rt, events } = await runtime('fake-hang.js', { baseEnv: env({ FAKE_PID_FILE: pidFile }), runTimeoutMs: 600 });
    const started = Date.now();
    const end = await run(rt, 'never finishes');
    const took = Date.now() - started;
    const { pid, grandchild } = await hangPids(pidFile);

    expect(end.data).toMatchObject({ ok: false, reason: 'timeout', exit: { code: null, signal: 'SIGKILL' } });
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(5_000);
    const error = events.find((e): e is AgentRuntimeEventOf<'error'> => e.kind === 'error');
    expect(error?.data.error.toJSON()).toMatchObject({ code: 'agent.timeout', retryable: true, details: { operation: 'run', timeoutMs: 600, pid } });
    expect(kindsOf(events)).toEqual(['message', 'turn.start', 'error', 'agent.end']);
    await expectGone(pid);
    await expectGone(grandchild);
    expect(await rt.getState()).toMatchObject({ busy: false });
  });

  it('idle deadline: silence is killed, but a CLI that keeps writing is only stopped by the run deadline', async () => {
    const silentPids = join(fx.root, 'silent.json');
    const { rt, events } = await runtime('fake-hang.js', { baseEnv: env({ FAKE_PID_FILE: silentPids }), idleTimeoutMs: 300, runTimeoutMs: 20_000 });
    const end = await run(rt, 'silent');
    expect(end.data).toMatchObject({ ok: false, reason: 'timeout' });
    expect(events.find((e) => e.kind === 'error')?.data).toMatchObject({ error: { code: 'agent.timeout', details: { operation: 'idle', timeoutMs: 300 } } });
    await expectAllGone(await hangPids(silentPids));

    const chattyPids = join(fx.root, 'chatty.json');
    const { rt: chatty, events: chattyEvents } = await runtime('fake-hang.js', { baseEnv: env({ FAKE_PID_FILE: chattyPids, FAKE_TICK_MS: '50' }), idleTimeoutMs: 300, runTimeoutMs: 900 });
    const chattyEnd = await run(chatty, 'chatty');
    expect(chattyEnd.data).toMatchObject({ ok: false, reason: 'timeout' });
    expect(chattyEvents.find((e) => e.kind === 'error')?.data).toMatchObject({ error: { details: { operation: 'run', timeoutMs: 900 } } });
    await expectAllGone(await hangPids(chattyPids));
  });

  it('a CLI that lingers after its result is killed after exitAfterEndMs; the run ends as it reported', async () => {
    const pidFile = join(fx.root, 'linger.json');
    const { rt, events } = await runtime('fake-hang.js', { baseEnv: env({ FAKE_PID_FILE: pidFile, FAKE_RESULT_THEN_HANG: '1' }), exitAfterEndMs: 300 });
    const started = Date.now();
    const end = await run(rt, 'finish but linger');
    expect(end.data).toMatchObject({ ok: true, reason: 'completed', detail: 'success', text: 'done, but still here', exit: { code: null, signal: 'SIGKILL' } });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(kindsOf(events)).toEqual(['message', 'turn.start', 'usage', 'turn.end', 'agent.end']);
    await expectAllGone(await hangPids(pidFile));
  });

  it('abort() kills the run and its group; the runtime is idle again', async () => {
    const pidFile = join(fx.root, 'hang.json');
    const { rt } = await runtime('fake-hang.js', { baseEnv: env({ FAKE_PID_FILE: pidFile }) });
    const end = waitForAgentEnd(rt, { timeoutMs: RUN_TIMEOUT_MS });
    await rt.prompt('wait forever');
    const { pid, grandchild } = await hangPids(pidFile);
    await rt.abort();
    expect((await end).data).toMatchObject({ ok: false, reason: 'aborted' });
    await expectGone(pid);
    await expectGone(grandchild);
    expect(await rt.getState()).toMatchObject({ busy: false });
  });

  it('stop() during a run ends it as aborted, finishes the runtime, and refuses further prompts', async () => {
    const pidFile = join(fx.root, 'hang.json');
    const { rt, events } = await runtime('fake-hang.js', { baseEnv: env({ FAKE_PID_FILE: pidFile }) });
    const running = new Promise<void>((resolve) => rt.onEvent((e) => e.kind === 'turn.start' && resolve()));
    await rt.prompt('wait forever');
    await running; // its SIGTERM handler is installed by now
    const exit = await rt.stop({ graceMs: 200 });
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    await expect(rt.exited).resolves.toEqual(exit);
    expect(events.at(-1)).toMatchObject({ kind: 'agent.end', data: { ok: false, reason: 'aborted' } });
    await expectAllGone(await hangPids(pidFile));
    await expect(rt.prompt('more')).rejects.toMatchObject({ code: 'agent.process_exited' });
    await expect(rt.start()).rejects.toMatchObject({ code: 'agent.process_exited' });
  });

  it('a CLI that exits 1 with stderr: error with the stderr tail, agent.end exited', async () => {
    const { rt, events } = await runtime('fake-fail.js');
    const end = await run(rt, 'hello');
    expect(end.data).toMatchObject({ ok: false, reason: 'exited', exit: { code: 1, signal: null }, detail: expect.stringContaining('Invalid API key') });
    const error = events.find((e): e is AgentRuntimeEventOf<'error'> => e.kind === 'error');
    expect(error?.data.error.toJSON()).toMatchObject({
      code: 'agent.process_exited',
      retryable: true,
      details: { code: 1, stderrTail: 'Starting...\nError: Invalid API key · Please run /login\n' },
    });
    expect(kindsOf(events)).toEqual(['message', 'error', 'agent.end']);
  });

  it('a missing binary is agent.runtime_missing: by path, by name on PATH, gone before a prompt, no node for the shebang', async () => {
    const missing = (command: string) => new CommandRuntime({ dialect: 'claude-stream-json', command, cwd: fx.cwd, baseEnv: env() });
    await expect(missing(join(fx.root, 'no', 'such', 'claude')).start()).rejects.toMatchObject({ code: 'agent.runtime_missing', retryable: false });
    await expect(missing('claude-that-is-not-installed').start()).rejects.toMatchObject({
      code: 'agent.runtime_missing',
      details: { command: 'claude-that-is-not-installed' },
    });
    await expect(new CommandRuntime({ dialect: 'codex-exec-json', cwd: fx.cwd, baseEnv: { PATH: join(fx.root, 'empty') } }).start()).rejects.toMatchObject({
      code: 'agent.runtime_missing',
      details: { command: 'codex' },
    });

    const copy = join(fx.root, 'claude-copy.js');
    await copyFile(join(FIXTURES, 'fake-claude.js'), copy);
    const { rt } = await runtime(copy);
    await unlink(copy);
    await expect(rt.prompt('hello')).rejects.toMatchObject({ code: 'agent.runtime_missing', details: { errno: 'ENOENT' } });
    expect(await rt.getState()).toMatchObject({ busy: false });

    const { rt: noNode, events } = await runtime('fake-claude.js', { baseEnv: { PATH: join(fx.root, 'empty-bin') } });
    const end = await run(noNode, 'hello');
    expect(end.data).toMatchObject({ ok: false, reason: 'failed', exit: { code: 127 } });
    expect(events.find((e) => e.kind === 'error')?.data).toMatchObject({ error: { code: 'agent.runtime_missing', details: { stderrTail: expect.stringContaining('node') } } });
  });

  it('a missing workspace is agent.spawn_failed; prompting before start is refused', async () => {
    const rt = new CommandRuntime({ dialect: 'claude-stream-json', command: join(FIXTURES, 'fake-claude.js'), cwd: join(fx.root, 'gone'), baseEnv: env() });
    await expect(rt.prompt('x')).rejects.toMatchObject({ code: 'agent.process_exited' });
    await expect(rt.start()).rejects.toMatchObject({ code: 'agent.spawn_failed', details: { reason: 'cwd_missing' } });
  });
});
