/**
 * Real: `pi --mode rpc` processes (node_modules/.bin/pi), git repos in temp dirs, HTTP to the
 * scripted model on 127.0.0.1. Nothing mocked; the "model" is a script, named as such.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startScriptedModel, type ScriptedModel } from '@godel/scripted-model';
import { writeSettingsJson, type PiSettings } from './agent-dir';
import type { PiEvent } from './pi-protocol';
import { PiRpcProcess } from './pi-rpc-process';
import { WRITER_SCRIPT, expectGone, requirePiBin, writeScriptedModels } from '../../../../test/agents/pi-test-kit';

const PI_BIN = requirePiBin(__dirname);
const TURN_TIMEOUT_MS = 20_000;

/** Types of the events in order, leaving out the many streaming message_update events. */
const outline = (events: PiEvent[]) =>
  events
    .filter((e) => e.type !== 'message_update')
    .map((e) => (e.type === 'message_start' || e.type === 'message_end' ? `${e.type}:${e.message.role}` : e.type));

describe('PiRpcProcess with a real pi and the scripted model', () => {
  let model: ScriptedModel;
  let root: string;
  const started: PiRpcProcess[] = [];

  beforeAll(async () => {
    // One server for every agent of this file; each test picks its script with a [script:NAME] marker.
    model = await startScriptedModel({
      models: ['scripted', 'scripted-b'],
      script: {
        scripts: {
          writer: WRITER_SCRIPT,
          'fails-once': [{ error: { status: 500, message: 'upstream exploded' } }, { text: 'recovered' }],
          failover: [{ error: { status: 500, message: 'primary is down' } }, { text: 'the backup answered' }],
        },
      },
    });
  });

  afterAll(async () => {
    await model?.close();
  });

  beforeEach(async () => {
    model.reset();
    root = await mkdtemp(join(tmpdir(), 'godel-pi-'));
  });

  afterEach(async () => {
    const pids = started.map((p) => p.pid);
    await Promise.all(started.splice(0).map((p) => p.stop({ graceMs: 1_000 })));
    pids.forEach(expectGone);
    await rm(root, { recursive: true, force: true });
  });

  /** A git repo to work in, an agent dir wired to the scripted model, and a session dir. */
  async function sandbox(settings: PiSettings = { retry: { enabled: false, provider: { maxRetries: 0 } } }) {
    const repo = join(root, 'repo');
    const agentDir = join(root, 'agent');
    const sessionDir = join(root, 'sessions');
    const home = join(root, 'home');
    await Promise.all([mkdir(repo), mkdir(home)]);
    // PATH: node for pi's `#!/usr/bin/env node` shebang, /usr/bin for git. HOME keeps ~/.pi out of it.
    const baseEnv = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home };
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Godel Test', '-c', 'user.email=test@godel.invalid', ...args], { cwd: repo, env: baseEnv, encoding: 'utf8' });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'init');
    await writeScriptedModels(agentDir, model);
    await writeSettingsJson(agentDir, settings);
    return { repo, agentDir, sessionDir, baseEnv, git };
  }

  async function startPi(box: Awaited<ReturnType<typeof sandbox>>, extra: { noSession?: boolean } = {}) {
    const pi = await PiRpcProcess.start({
      cwd: box.repo,
      agentDir: box.agentDir,
      ...(extra.noSession ? { noSession: true } : { sessionDir: box.sessionDir }),
      provider: 'scripted',
      model: 'scripted',
      tools: ['read', 'bash', 'edit', 'write'],
      baseEnv: box.baseEnv,
      piBin: PI_BIN,
    });
    started.push(pi);
    return pi;
  }

  it('(a) runs a scripted write tool call in a git repo, then ends the turn on text; events in order', async () => {
    const box = await sandbox();
    const pi = await startPi(box);
    const events: PiEvent[] = [];
    pi.onEvent((e) => events.push(e));
    const end = pi.waitForEvent('agent_end', { timeoutMs: TURN_TIMEOUT_MS });
    await pi.prompt('[script:writer] Create hello.txt with a greeting.');
    const agentEnd = await end;

    expect(await readFile(join(box.repo, 'hello.txt'), 'utf8')).toBe('hello from the script\n');
    expect(box.git('status', '--porcelain')).toBe('?? hello.txt\n');
    expect(outline(events)).toEqual([
      'agent_start',
      'turn_start',
      'message_start:user',
      'message_end:user',
      'message_start:assistant',
      'message_end:assistant',
      'tool_execution_start',
      'tool_execution_end',
      'message_start:toolResult',
      'message_end:toolResult',
      'turn_end',
      'turn_start',
      'message_start:assistant',
      'message_end:assistant',
      'turn_end',
      'agent_end',
    ]);
    const toolStart = events.find((e) => e.type === 'tool_execution_start');
    expect(toolStart).toMatchObject({ toolName: 'write', args: { path: 'hello.txt' } });
    expect(events.find((e) => e.type === 'tool_execution_end')).toMatchObject({ toolName: 'write', isError: false });
    expect(events.some((e) => e.type === 'message_update' && e.assistantMessageEvent.type === 'toolcall_delta')).toBe(true);
    expect(agentEnd.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
    expect(agentEnd.messages[3]).toMatchObject({ stopReason: 'stop', content: [{ type: 'text', text: 'I wrote hello.txt.' }] });
    // The second model call carried the tool result back.
    const calls = model.requests.filter((r) => r.scriptName === 'writer');
    expect(calls).toHaveLength(2);
    expect(calls[1].body?.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(calls.every((r) => r.stream)).toBe(true);
  });

  it('(b) answers getState, reports the scripted token usage, and stores the session file', async () => {
    const box = await sandbox();
    const pi = await startPi(box);
    expect(pi.readyAfterMs).toBeGreaterThan(0);
    const before = await pi.getState();
    expect(before).toMatchObject({ isStreaming: false, messageCount: 0, model: { provider: 'scripted', id: 'scripted' } });
    expect(before.sessionFile?.startsWith(box.sessionDir)).toBe(true);

    const end = pi.waitForEvent('agent_end', { timeoutMs: TURN_TIMEOUT_MS });
    await pi.prompt('[script:writer] Create hello.txt, and count tokens.');
    await end;

    const stats = await pi.getSessionStats();
    expect(stats.tokens).toEqual({ input: 320, output: 40, cacheRead: 0, cacheWrite: 0, total: 360 });
    expect(stats).toMatchObject({ userMessages: 1, assistantMessages: 2, toolCalls: 1, toolResults: 1, cost: 0, sessionId: before.sessionId });
    expect((await pi.getState()).messageCount).toBe(4);
    expect((await pi.getMessages()).map((m) => m.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);

    const lines = (await readFile(before.sessionFile as string, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'session', id: before.sessionId, cwd: box.repo });
    expect(lines.filter((l) => l.type === 'message').map((l) => l.message.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);

    const exit = await pi.stop();
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('(f) surfaces a model 500 as an error event when retries are off', async () => {
    const pi = await startPi(await sandbox({ retry: { enabled: false, provider: { maxRetries: 0 } } }), { noSession: true });
    const events: PiEvent[] = [];
    pi.onEvent((e) => events.push(e));
    const end = pi.waitForEvent('agent_end', { timeoutMs: TURN_TIMEOUT_MS });
    await pi.prompt('[script:fails-once] hello');
    const agentEnd = await end;

    const failed = events.find((e) => e.type === 'message_end' && e.message.role === 'assistant');
    expect(failed).toMatchObject({ message: { stopReason: 'error', errorMessage: '500 upstream exploded' } });
    expect(agentEnd.messages.at(-1)).toMatchObject({ stopReason: 'error' });
    expect(events.some((e) => e.type === 'auto_retry_start')).toBe(false);
    expect(model.requests.filter((r) => r.scriptName === 'fails-once')).toHaveLength(1);
  });

  it('(f) with pi auto-retry on, the 500 shows as auto_retry_start and the retry succeeds', async () => {
    const pi = await startPi(await sandbox({ retry: { enabled: true, maxRetries: 2, baseDelayMs: 20, provider: { maxRetries: 0 } } }), { noSession: true });
    const events: PiEvent[] = [];
    pi.onEvent((e) => events.push(e));
    // agent_end comes once per attempt: wait for the one that ends well.
    const done = pi.waitForEvent('agent_end', { timeoutMs: TURN_TIMEOUT_MS, where: (e) => e.messages.at(-1)?.stopReason === 'stop' });
    await pi.prompt('[script:fails-once] hello again');
    await done;
    const retryEvents = events.filter((e) => e.type === 'auto_retry_start' || e.type === 'auto_retry_end');
    expect(retryEvents).toEqual([
      { type: 'auto_retry_start', attempt: 1, maxAttempts: 2, delayMs: 20, errorMessage: '500 upstream exploded' },
      { type: 'auto_retry_end', success: true, attempt: 1 },
    ]);
    expect(outline(events).filter((t) => t === 'agent_end')).toHaveLength(2);
    expect((await pi.getMessages()).at(-1)).toMatchObject({ role: 'assistant', stopReason: 'stop', content: [{ type: 'text', text: 'recovered' }] });
  });

  it('(f) set_auto_retry(false) turns pi retry off at runtime, and pi persists it in settings.json', async () => {
    const box = await sandbox({ retry: { provider: { maxRetries: 0 } } });
    const pi = await startPi(box, { noSession: true });
    await pi.setAutoRetry(false);
    const failed = pi.waitForEvent('message_end', { timeoutMs: TURN_TIMEOUT_MS, where: (e) => e.message.role === 'assistant' });
    await pi.prompt('[script:fails-once] once more');
    expect((await failed).message).toMatchObject({ stopReason: 'error', errorMessage: '500 upstream exploded' });
    expect(JSON.parse(await readFile(join(box.agentDir, 'settings.json'), 'utf8'))).toMatchObject({ retry: { enabled: false } });
  });

  it('(f) with default settings the HTTP client retries a 500 silently: no event at all', async () => {
    const box = await sandbox({});
    const pi = await startPi(box, { noSession: true });
    const events: PiEvent[] = [];
    pi.onEvent((e) => events.push(e));
    const end = pi.waitForEvent('agent_end', { timeoutMs: TURN_TIMEOUT_MS });
    await pi.prompt('[script:fails-once] silently');
    const agentEnd = await end;
    expect(agentEnd.messages.at(-1)).toMatchObject({ stopReason: 'stop' });
    expect(events.some((e) => e.type.startsWith('auto_retry'))).toBe(false);
    expect(model.requests.filter((r) => r.scriptName === 'fails-once').map((r) => r.status)).toEqual([500, 200]);
  });

  it('fails over to another model with setModel after a provider error', async () => {
    const pi = await startPi(await sandbox(), { noSession: true });
    const failed = pi.waitForEvent('agent_end', { timeoutMs: TURN_TIMEOUT_MS });
    await pi.prompt('[script:failover] answer me');
    expect((await failed).messages.at(-1)).toMatchObject({ stopReason: 'error', errorMessage: '500 primary is down' });

    const switched = await pi.setModel('scripted', 'scripted-b');
    expect(switched).toMatchObject({ provider: 'scripted', id: 'scripted-b' });
    const answered = pi.waitForEvent('agent_end', { timeoutMs: TURN_TIMEOUT_MS });
    await pi.prompt('Please try again.');
    expect((await answered).messages.at(-1)).toMatchObject({ stopReason: 'stop', model: 'scripted-b' });
    expect(model.requests.filter((r) => r.scriptName === 'failover').map((r) => r.body?.model)).toEqual(['scripted', 'scripted-b']);
  });

  it('leaves no session files with noSession', async () => {
    const box = await sandbox();
    const pi = await startPi(box, { noSession: true });
    expect((await pi.getState()).sessionFile).toBeUndefined();
    await pi.stop();
    expect(existsSync(box.sessionDir)).toBe(false);
  });
});
