/**
 * CommandRuntime dialects with real processes and fake CLIs (Claude Code's stream-json, Codex's
 * exec --json): normalized events, resume, usage, models, prompts on stdin, garbage lines. Nothing
 * mocked inside this process. (Deadlines, kills and failures: command-runtime-control.int-spec.ts.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitForAgentEnd, type AgentRuntimeEventOf } from '../src/runtime/agent-runtime';
import { RUN_TIMEOUT_MS, commandRuntimeFixture, expectGone } from './command-runtime-test-kit';

jest.setTimeout(30_000);

describe('CommandRuntime dialects with fake CLIs', () => {
  const fx = commandRuntimeFixture();
  const { env, runtime, run, invocations, kindsOf } = fx;

  it('claude dialect: normalized events of a run, then resume with the session id, usage and cost summed', async () => {
    const { rt, events } = await runtime('fake-claude.js');
    const first = await run(rt, 'Create hello.txt');
    expect(first.data).toMatchObject({ ok: true, reason: 'completed', detail: 'success', text: 'Done: wrote hello.txt (run 1).', exit: { code: 0, signal: null } });
    expect(kindsOf(events)).toEqual(['message', 'turn.start', 'message', 'tool.start', 'tool.end', 'message', 'usage', 'turn.end', 'agent.end']);
    expect(events[0].data).toEqual({ role: 'user', text: 'Create hello.txt' });
    expect(events[3].data).toEqual({ toolCallId: 'toolu_fake_1', name: 'Write', args: { file_path: join(fx.cwd, 'hello.txt'), content: 'hello from fake claude\n' } });
    expect(events[4].data).toMatchObject({ toolCallId: 'toolu_fake_1', name: 'Write', isError: false, output: expect.stringContaining('File created successfully') });
    expect(await readFile(join(fx.cwd, 'hello.txt'), 'utf8')).toBe('hello from fake claude\n');
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
});
