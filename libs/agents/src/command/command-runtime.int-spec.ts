/**
 * Real processes, fake CLIs: the node scripts in ./fixtures print what Claude Code
 * (`-p --output-format stream-json --verbose`) and Codex (`exec --json`) print, keep session state
 * on disk so resume works, and misbehave on purpose (garbage, hanging, failing). Nothing mocked
 * inside this process.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { waitForAgentEnd, type AgentRuntimeEvent, type AgentRuntimeEventOf } from '../runtime/agent-runtime';
import { CommandRuntime, type CommandRuntimeOptions } from './command-runtime';

const FIXTURES = join(__dirname, 'fixtures');
const RUN_TIMEOUT_MS = 10_000;
jest.setTimeout(30_000);

interface Invocation {
  cli: string;
  argv: string[];
  pid: number;
  prompt?: string;
}

/** Alive and not a zombie (PID 1 of a container may never reap an orphan). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function expectGone(pid: number, withinMs = 3_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false });
}

describe('CommandRuntime with fake CLIs', () => {
  let root: string;
  let cwd: string;
  let log: string;
  const runtimes: CommandRuntime[] = [];
  const strayPids: number[] = [];

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'godel-command-'));
    cwd = join(root, 'work');
    log = join(root, 'invocations.jsonl');
    await mkdir(cwd);
  });

  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((rt) => rt.stop({ graceMs: 200 })));
    for (const pid of strayPids.splice(0)) {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await rm(root, { recursive: true, force: true });
  });

  /** PATH: node for the fixtures' `#!/usr/bin/env node`. */
  function env(extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: root, FAKE_CLI_LOG: log, ...extra };
  }

  async function runtime(fixture: string, options: Partial<CommandRuntimeOptions> = {}): Promise<{ rt: CommandRuntime; events: AgentRuntimeEvent[] }> {
    const rt = new CommandRuntime({
      dialect: 'claude-stream-json',
      command: isAbsolute(fixture) ? fixture : join(FIXTURES, fixture),
      cwd,
      baseEnv: env(),
      killGraceMs: 200,
      ...options,
    });
    runtimes.push(rt);
    const events: AgentRuntimeEvent[] = [];
    rt.onEvent((e) => events.push(e));
    await rt.start();
    return { rt, events };
  }

  /** Prompts and waits for the run's agent.end. */
  async function run(rt: CommandRuntime, prompt: string, timeoutMs = RUN_TIMEOUT_MS): Promise<AgentRuntimeEventOf<'agent.end'>> {
    const end = waitForAgentEnd(rt, { timeoutMs });
    await rt.prompt(prompt);
    return end;
  }

  async function invocations(): Promise<Invocation[]> {
    if (!existsSync(log)) return [];
    return (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Invocation);
  }

  /** The pids fake-hang.js wrote (waiting for the file); registered for clean-up. */
  async function hangPids(file: string): Promise<{ pid: number; grandchild: number }> {
    const deadline = Date.now() + 5_000;
    while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const pids = JSON.parse(await readFile(file, 'utf8')) as { pid: number; grandchild: number };
    strayPids.push(pids.pid, pids.grandchild);
    return pids;
  }

  async function expectAllGone(pids: { pid: number; grandchild: number }): Promise<void> {
    await expectGone(pids.pid);
    await expectGone(pids.grandchild);
  }

  const kindsOf = (events: AgentRuntimeEvent[]) => events.map((e) => e.kind);

  it('claude dialect: normalized events of a run, then resume with the session id, usage and cost summed', async () => {
    const { rt, events } = await runtime('fake-claude.js');
    const first = await run(rt, 'Create hello.txt');
    expect(first.data).toMatchObject({ ok: true, reason: 'completed', detail: 'success', text: 'Done: wrote hello.txt (run 1).', exit: { code: 0, signal: null } });
    expect(kindsOf(events)).toEqual(['message', 'turn.start', 'message', 'tool.start', 'tool.end', 'message', 'usage', 'turn.end', 'agent.end']);
    expect(events[0].data).toEqual({ role: 'user', text: 'Create hello.txt' });
    expect(events[3].data).toEqual({ toolCallId: 'toolu_fake_1', name: 'Write', args: { file_path: join(cwd, 'hello.txt'), content: 'hello from fake claude\n' } });
    expect(events[4].data).toMatchObject({ toolCallId: 'toolu_fake_1', name: 'Write', isError: false, output: expect.stringContaining('File created successfully') });
    expect(await readFile(join(cwd, 'hello.txt'), 'utf8')).toBe('hello from fake claude\n');
    const sessionId = rt.sessionId as string;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.data.sessionId).toBe(sessionId);

    const second = await run(rt, 'Now say hi');
    expect(second.data).toMatchObject({ ok: true, text: 'Done: wrote hello.txt (run 2).', sessionId });

    const [one, two] = await invocations();
    expect(one.argv).toEqual(['-p', 'Create hello.txt', '--output-format', 'stream-json', '--verbose']);
    expect(two.argv).toEqual(['-p', 'Now say hi', '--output-format', 'stream-json', '--verbose', '--resume', sessionId]);

    // Per run: 12 in, 80 out, 1200 cache read, 1200 cache write; total_cost_usd is the session's running total.
    const stats = await rt.getStats();
    expect(stats).toMatchObject({ inputTokens: 24, outputTokens: 160, cacheRead: 2400, cacheWrite: 2400, totalTokens: 4984 });
    expect(stats.costUsd).toBeCloseTo(0.025, 10);
    const usageEvents = events.filter((e): e is AgentRuntimeEventOf<'usage'> => e.kind === 'usage');
    expect(usageEvents).toHaveLength(2);
    expect(usageEvents.reduce((sum, e) => sum + (e.data.costUsd ?? 0), 0)).toBeCloseTo(0.025, 10);
    expect(await rt.getState()).toEqual({ busy: false, sessionId, pendingMessages: 0 });
    await Promise.all([one.pid, two.pid].map((pid) => expectGone(pid)));
  });

  it('codex dialect: extraArgs, thread resume via `exec resume <id>`, cumulative usage turned into deltas', async () => {
    const { rt, events } = await runtime('fake-codex.js', { dialect: 'codex-exec-json', extraArgs: ['--skip-git-repo-check'] });
    const first = await run(rt, 'Create hello.txt');
    expect(first.data).toMatchObject({ ok: true, reason: 'completed', text: 'Created hello.txt (run 1).' });
    expect(kindsOf(events)).toEqual([
      'message',
      'turn.start',
      'tool.start',
      'tool.end',
      'tool.start',
      'tool.end',
      'tool.start',
      'tool.end',
      'message',
      'usage',
      'turn.end',
      'agent.end',
    ]);
    const toolEnds = events.filter((e): e is AgentRuntimeEventOf<'tool.end'> => e.kind === 'tool.end');
    expect(toolEnds.map((e) => [e.data.name, e.data.isError])).toEqual([
      ['command_execution', false],
      ['command_execution', true],
      ['file_change', false],
    ]);
    const threadId = rt.sessionId as string;
    expect(events[1].data).toEqual({ sessionId: threadId });

    await run(rt, 'Again');
    const [one, two] = await invocations();
    expect(one.argv).toEqual(['exec', '--json', '--skip-git-repo-check', 'Create hello.txt']);
    expect(two.argv).toEqual(['exec', '--json', '--skip-git-repo-check', 'resume', threadId, 'Again']);
    // The fake reports the thread's running total (1200/800/90 per run), as Codex does.
    expect(await rt.getStats()).toEqual({ inputTokens: 800, outputTokens: 180, cacheRead: 1600, totalTokens: 2580 });
  });

  it('codex dialect: a failed turn is an error and a failed end; the CLI refusing to run is an exited end with its stderr', async () => {
    const { rt, events } = await runtime('fake-codex.js', { dialect: 'codex-exec-json', extraArgs: ['--skip-git-repo-check'] });
    const failed = await run(rt, '[fail] please');
    expect(failed.data).toMatchObject({ ok: false, reason: 'failed', detail: expect.stringContaining('stream disconnected'), exit: { code: 1 } });
    expect(events.filter((e) => e.kind === 'error').map((e) => e.kind === 'error' && e.data.error.code)).toEqual(['agent.run_failed', 'agent.run_failed']);

    const { rt: strict, events: strictEvents } = await runtime('fake-codex.js', { dialect: 'codex-exec-json' });
    const refused = await run(strict, 'hello');
    expect(refused.data).toMatchObject({ ok: false, reason: 'exited', exit: { code: 1, signal: null } });
    const error = strictEvents.find((e): e is AgentRuntimeEventOf<'error'> => e.kind === 'error');
    expect(error?.data.error.toJSON()).toMatchObject({
      code: 'agent.process_exited',
      details: { code: 1, stderrTail: expect.stringContaining('--skip-git-repo-check was not specified') },
    });
  });

  it('resume: false starts a fresh session every prompt; a given sessionId is resumed on the first prompt', async () => {
    const { rt } = await runtime('fake-claude.js', { resume: false });
    expect(rt.capabilities.followUp).toBe(false);
    await run(rt, 'one');
    await run(rt, 'two');
    const argvs = (await invocations()).map((i) => i.argv);
    expect(argvs.some((argv) => argv.includes('--resume'))).toBe(false);
    await expect(rt.followUp('x')).rejects.toMatchObject({ code: 'agent.unsupported' });

    const { rt: earlier } = await runtime('fake-claude.js');
    await run(earlier, 'make a session');
    const known = earlier.sessionId as string;
    const { rt: resumed } = await runtime('fake-claude.js', { sessionId: known });
    const end = await run(resumed, 'continue');
    expect(end.data).toMatchObject({ ok: true, sessionId: known, text: 'Done: wrote hello.txt (run 2).' });
    expect((await invocations()).at(-1)?.argv).toEqual(['-p', 'continue', '--output-format', 'stream-json', '--verbose', '--resume', known]);
  });

  it('setModel goes into the next prompt; steer is unsupported; a second prompt while busy is refused; followUp queues', async () => {
    const { rt, events } = await runtime('fake-claude.js', { baseEnv: env({ FAKE_DELAY_MS: '150' }) });
    expect(rt.capabilities).toEqual({ steer: false, followUp: true, setModel: true, processPerPrompt: true });
    await rt.setModel('anthropic', 'claude-opus-4-1');
    await expect(rt.steer()).rejects.toMatchObject({ code: 'agent.unsupported', retryable: false });

    const ends: AgentRuntimeEventOf<'agent.end'>[] = [];
    rt.onEvent((e) => e.kind === 'agent.end' && ends.push(e));
    const bothDone = waitForAgentEnd(rt, { timeoutMs: RUN_TIMEOUT_MS, where: () => ends.length === 2 });
    await rt.prompt('first');
    await expect(rt.prompt('second')).rejects.toMatchObject({ code: 'agent.command_failed' });
    await rt.followUp('queued follow-up');
    expect(await rt.getState()).toMatchObject({ busy: true, pendingMessages: 1, model: { provider: 'anthropic', id: 'claude-opus-4-1' }, pid: expect.any(Number) });
    await bothDone;

    expect(ends.map((e) => e.data.ok)).toEqual([true, true]);
    const [one, two] = await invocations();
    expect(one.argv).toEqual(['-p', 'first', '--output-format', 'stream-json', '--verbose', '--model', 'claude-opus-4-1']);
    expect(two.argv).toEqual(['-p', 'queued follow-up', '--output-format', 'stream-json', '--verbose', '--model', 'claude-opus-4-1', '--resume', rt.sessionId]);
    expect(events.filter((e) => e.kind === 'message' && e.data.role === 'user').map((e) => e.kind === 'message' && e.data.text)).toEqual(['first', 'queued follow-up']);
  });

  it('a prompt template without {prompt} sends the prompt on stdin', async () => {
    const { rt } = await runtime('fake-claude.js', { args: ['-p', '--output-format', 'stream-json', '--verbose', ['--resume', '{sessionId}']] });
    const end = await run(rt, '-starts with a dash\nand has two lines');
    expect(end.data.ok).toBe(true);
    const [one] = await invocations();
    expect(one.argv).toEqual(['-p', '--output-format', 'stream-json', '--verbose']);
    expect(one.prompt).toBe('-starts with a dash\nand has two lines');
  });

  it('garbage lines become protocol_error events; the run still completes', async () => {
    const { rt, events } = await runtime('fake-garbage.js');
    const end = await run(rt, 'anything');
    expect(end.data).toMatchObject({ ok: true, text: 'survived the noise' });
    const garbage = events.filter((e): e is AgentRuntimeEventOf<'protocol_error'> => e.kind === 'protocol_error');
    expect(garbage.map((e) => e.data.line)).toEqual([
      'Loading Claude Code... (this is not json)',
      '[1,2,3]',
      '{"note":"a record without a type"}',
      '\u001b[33mWARN\u001b[0m something odd',
      '{"type":"result","subtype":"succ',
    ]);
    const [{ pid }] = await invocations();
    expect(garbage[0].data.error.toJSON()).toMatchObject({ code: 'agent.protocol_error', details: { pid, dialect: 'claude-stream-json' } });
    // The record split across two writes is one message.
    expect(events.filter((e) => e.kind === 'message' && e.data.role === 'assistant').map((e) => e.kind === 'message' && e.data.text)).toEqual(['split across writes']);
    expect((await rt.getStats()).costUsd).toBeCloseTo(0.002, 10);
  });

  it('a hanging CLI: agent.timeout at the run deadline, its process group (leader and grandchild) killed', async () => {
    const pidFile = join(root, 'hang.json');
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
    const silentPids = join(root, 'silent.json');
    const { rt, events } = await runtime('fake-hang.js', { baseEnv: env({ FAKE_PID_FILE: silentPids }), idleTimeoutMs: 300, runTimeoutMs: 20_000 });
    const end = await run(rt, 'silent');
    expect(end.data).toMatchObject({ ok: false, reason: 'timeout' });
    expect(events.find((e) => e.kind === 'error')?.data).toMatchObject({ error: { code: 'agent.timeout', details: { operation: 'idle', timeoutMs: 300 } } });
    await expectAllGone(await hangPids(silentPids));

    const chattyPids = join(root, 'chatty.json');
    const { rt: chatty, events: chattyEvents } = await runtime('fake-hang.js', { baseEnv: env({ FAKE_PID_FILE: chattyPids, FAKE_TICK_MS: '50' }), idleTimeoutMs: 300, runTimeoutMs: 900 });
    const chattyEnd = await run(chatty, 'chatty');
    expect(chattyEnd.data).toMatchObject({ ok: false, reason: 'timeout' });
    expect(chattyEvents.find((e) => e.kind === 'error')?.data).toMatchObject({ error: { details: { operation: 'run', timeoutMs: 900 } } });
    await expectAllGone(await hangPids(chattyPids));
  });

  it('a CLI that lingers after its result is killed after exitAfterEndMs; the run ends as it reported', async () => {
    const pidFile = join(root, 'linger.json');
    const { rt, events } = await runtime('fake-hang.js', { baseEnv: env({ FAKE_PID_FILE: pidFile, FAKE_RESULT_THEN_HANG: '1' }), exitAfterEndMs: 300 });
    const started = Date.now();
    const end = await run(rt, 'finish but linger');
    expect(end.data).toMatchObject({ ok: true, reason: 'completed', detail: 'success', text: 'done, but still here', exit: { code: null, signal: 'SIGKILL' } });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(kindsOf(events)).toEqual(['message', 'turn.start', 'usage', 'turn.end', 'agent.end']);
    await expectAllGone(await hangPids(pidFile));
  });

  it('abort() kills the run and its group; the runtime is idle again', async () => {
    const pidFile = join(root, 'hang.json');
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
    const pidFile = join(root, 'hang.json');
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
    const missing = (command: string) => new CommandRuntime({ dialect: 'claude-stream-json', command, cwd, baseEnv: env() });
    await expect(missing(join(root, 'no', 'such', 'claude')).start()).rejects.toMatchObject({ code: 'agent.runtime_missing', retryable: false });
    await expect(missing('claude-that-is-not-installed').start()).rejects.toMatchObject({
      code: 'agent.runtime_missing',
      details: { command: 'claude-that-is-not-installed' },
    });
    await expect(new CommandRuntime({ dialect: 'codex-exec-json', cwd, baseEnv: { PATH: join(root, 'empty') } }).start()).rejects.toMatchObject({
      code: 'agent.runtime_missing',
      details: { command: 'codex' },
    });

    const copy = join(root, 'claude-copy.js');
    await copyFile(join(FIXTURES, 'fake-claude.js'), copy);
    const { rt } = await runtime(copy);
    await unlink(copy);
    await expect(rt.prompt('hello')).rejects.toMatchObject({ code: 'agent.runtime_missing', details: { errno: 'ENOENT' } });
    expect(await rt.getState()).toMatchObject({ busy: false });

    const { rt: noNode, events } = await runtime('fake-claude.js', { baseEnv: { PATH: join(root, 'empty-bin') } });
    const end = await run(noNode, 'hello');
    expect(end.data).toMatchObject({ ok: false, reason: 'failed', exit: { code: 127 } });
    expect(events.find((e) => e.kind === 'error')?.data).toMatchObject({ error: { code: 'agent.runtime_missing', details: { stderrTail: expect.stringContaining('node') } } });
  });

  it('a missing workspace is agent.spawn_failed; prompting before start is refused', async () => {
    const rt = new CommandRuntime({ dialect: 'claude-stream-json', command: join(FIXTURES, 'fake-claude.js'), cwd: join(root, 'gone'), baseEnv: env() });
    await expect(rt.prompt('x')).rejects.toMatchObject({ code: 'agent.process_exited' });
    await expect(rt.start()).rejects.toMatchObject({ code: 'agent.spawn_failed', details: { reason: 'cwd_missing' } });
  });
});
