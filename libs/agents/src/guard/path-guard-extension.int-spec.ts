/**
 * Real: `pi --mode rpc` processes (node_modules/.bin/pi) loading the guard extension, git repos in
 * temp dirs, the scripted model over HTTP on 127.0.0.1. The "model" is a script asking for escapes;
 * what it got back is read from the requests the scripted model recorded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { startScriptedModel, type RecordedRequest, type ScriptedModel, type Step, type ToolCallSpec } from '@godel/scripted-model';
import { AgentProcessExitedError } from '../pi/errors';
import { writeSettingsJson } from '../pi/agent-dir';
import type { PiEvent } from '../pi/pi-protocol';
import { PiRpcProcess, type PiRpcStartOptions } from '../pi/pi-rpc-process';
import { guardDenialFromEvent, isGuardDenial, readGuardDenials } from './guard-denials';
import { GUARD_EXTENSION_FILE, withPathGuard } from './guard-launch';
import { GUARD_REASON_PREFIX } from './guard-protocol';
import { requirePiBin, writeScriptedModels } from '../../../../test/agents/pi-test-kit';

const PI_BIN = requirePiBin(__dirname);
const TURN_TIMEOUT_MS = 30_000;
const PASSWD_FIRST_LINE = readFileSync('/etc/passwd', 'utf8').split('\n')[0];

type ToolEnd = Extract<PiEvent, { type: 'tool_execution_end' }>;

/** Text of a chat message as the model received it (string or content parts). */
function textOf(message: { content?: unknown }): string {
  const c = message.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p: { text?: string }) => p.text ?? '').join('');
  return '';
}

/** The tool results the model was sent, from the last request of a conversation (it carries them all). */
function toolResultsSeenByModel(requests: RecordedRequest[]): string[] {
  const last = requests.at(-1);
  return (last?.body?.messages ?? []).filter((m) => m.role === 'tool').map(textOf);
}

describe('path guard extension in a real pi', () => {
  let model: ScriptedModel;
  let root: string;
  const started: PiRpcProcess[] = [];
  /** Scripts of the current test, by name: one step per entry (a call, or a batch of calls), then a closing text. */
  let scripts: Record<string, (ToolCallSpec | ToolCallSpec[])[]> = {};

  beforeAll(async () => {
    model = await startScriptedModel({
      script: ({ scriptName, index }): Step => {
        const calls = scripts[scriptName ?? ''] ?? [];
        return index < calls.length ? { toolCalls: [calls[index]].flat() } : { text: 'done' };
      },
    });
  });

  afterAll(async () => {
    await model?.close();
  });

  beforeEach(async () => {
    model.reset();
    scripts = {};
    root = await mkdtemp(join(tmpdir(), 'godel-guard-'));
  });

  afterEach(async () => {
    const pids = started.map((p) => p.pid);
    await Promise.all(started.splice(0).map((p) => p.stop({ graceMs: 1_000 })));
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await rm(root, { recursive: true, force: true });
  });

  /** root/repo is the worktree (a git repo); root/outside holds a secret; root/guard.jsonl is the log. */
  async function sandbox() {
    const repo = join(root, 'repo');
    const outside = join(root, 'outside');
    const home = join(root, 'home');
    const agentDir = join(root, 'agent');
    await Promise.all([mkdir(repo), mkdir(outside), mkdir(home)]);
    const secret = `TOP-SECRET-${Math.random().toString(36).slice(2)}`;
    await writeFile(join(outside, 'secret.txt'), `${secret}\n`);
    await writeFile(join(home, '.profile'), `# ${secret} in home\n`);
    const baseEnv = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home };
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Godel Test', '-c', 'user.email=test@godel.invalid', ...args], { cwd: repo, env: baseEnv });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'init');
    await writeScriptedModels(agentDir, model, false);
    await writeSettingsJson(agentDir, { retry: { enabled: false, provider: { maxRetries: 0 } } });
    return { repo, outside, home, agentDir, baseEnv, secret, logFile: join(root, 'guard.jsonl') };
  }
  type Box = Awaited<ReturnType<typeof sandbox>>;

  function launchOptions(box: Box, tools = ['read', 'bash', 'edit', 'write']): PiRpcStartOptions {
    return { cwd: box.repo, agentDir: box.agentDir, noSession: true, provider: 'scripted', model: 'scripted', tools, baseEnv: box.baseEnv, piBin: PI_BIN };
  }

  async function start(options: PiRpcStartOptions): Promise<PiRpcProcess> {
    const pi = await PiRpcProcess.start(options);
    started.push(pi);
    return pi;
  }

  /** Plays script `name` to its end; returns every event and the requests the model received. */
  async function play(pi: PiRpcProcess, name: string, calls: (ToolCallSpec | ToolCallSpec[])[]) {
    scripts[name] = calls;
    const events: PiEvent[] = [];
    const off = pi.onEvent((e) => events.push(e));
    const end = pi.waitForEvent('agent_end', { timeoutMs: TURN_TIMEOUT_MS });
    await pi.prompt(`[script:${name}] go`);
    const agentEnd = await end;
    off();
    expect(agentEnd.messages.at(-1)).toMatchObject({ role: 'assistant', stopReason: 'stop' });
    const toolEnds = events.filter((e): e is ToolEnd => e.type === 'tool_execution_end');
    const requests = model.requests.filter((r) => r.scriptName === name);
    expect(requests).toHaveLength(calls.length + 1);
    return { events, toolEnds, seen: toolResultsSeenByModel(requests) };
  }

  it('refuses ../, absolute reads, writes outside, bash cat and cd ..; the model gets the reason, Godel a record', async () => {
    const box = await sandbox();
    const pwned = join(box.outside, 'pwned.txt');
    const toPasswd = relative(box.repo, '/etc/passwd'); // ../../../etc/passwd: really lands on /etc/passwd
    const calls: ToolCallSpec[] = [
      { name: 'read', arguments: { path: '../../etc/passwd' } },
      { name: 'read', arguments: { path: toPasswd } },
      { name: 'read', arguments: { path: '../outside/secret.txt' } },
      { name: 'read', arguments: { path: '/etc/passwd' } },
      { name: 'write', arguments: { path: pwned, content: 'owned\n' } },
      { name: 'bash', arguments: { command: 'cat /etc/passwd' } },
      { name: 'bash', arguments: { command: 'cd .. && ls' } },
      { name: 'bash', arguments: { command: 'cat ../outside/secret.txt' } },
    ];
    const pi = await start(withPathGuard(launchOptions(box), { logFile: box.logFile }));
    const { events, toolEnds, seen } = await play(pi, 'escapes', calls);

    // Nothing ran: no file outside, and none of the protected content reached the model.
    expect(existsSync(pwned)).toBe(false);
    expect(seen).toHaveLength(calls.length);
    for (const text of seen) {
      expect(text.startsWith(GUARD_REASON_PREFIX)).toBe(true);
      expect(text).not.toContain(PASSWD_FIRST_LINE);
      expect(text).not.toContain(box.secret);
      expect(text).not.toMatch(/^repo$/m); // `cd .. && ls` would list repo, outside, home, ...
    }
    expect(seen[1]).toContain('resolves to /etc/passwd');
    expect(seen[4]).toContain(`resolves to ${pwned}`);
    expect(seen[5]).toContain('"/etc/passwd"');
    expect(seen[6]).toContain('".."');

    // RPC: each call ended as an error that isGuardDenial recognises.
    expect(toolEnds.map((e) => [e.toolName, e.isError, isGuardDenial(e)])).toEqual(calls.map((c) => [c.name, true, true]));

    // The log: one guard.denied record per refused call, matching the calls by id.
    const denials = await readGuardDenials(box.logFile);
    expect(denials.map((d) => d.toolCallId)).toEqual(toolEnds.map((e) => e.toolCallId));
    expect(denials.map((d) => d.toolName)).toEqual(calls.map((c) => c.name));
    expect(denials.every((d) => d.type === 'guard.denied' && d.pid === pi.pid && d.worktree === box.repo && d.cwd === box.repo)).toBe(true);
    expect(denials[3]).toMatchObject({ input: { path: '/etc/passwd' }, findings: [{ path: '/etc/passwd', resolvedPath: '/etc/passwd', rule: 'outside' }] });
    expect(denials[6].findings).toEqual([{ path: '..', resolvedPath: root, rule: 'outside' }]);
    expect(denials.map((d) => d.reason)).toEqual(seen);

    // The same records arrived as notify events on pi's stdout.
    const notified = events.map(guardDenialFromEvent).filter((d) => d !== undefined);
    expect(notified).toEqual(denials);
  });

  it('(control) without the guard the same pi reads /etc/passwd and writes outside: the checks above can fail', async () => {
    const box = await sandbox();
    const pwned = join(box.outside, 'pwned.txt');
    const pi = await start(launchOptions(box));
    const { toolEnds, seen } = await play(pi, 'unguarded', [
      { name: 'read', arguments: { path: '/etc/passwd' } },
      { name: 'write', arguments: { path: pwned, content: 'owned\n' } },
      { name: 'bash', arguments: { command: 'cat ../outside/secret.txt' } },
    ]);
    expect(seen[0]).toContain(PASSWD_FIRST_LINE);
    expect(seen[2]).toContain(box.secret);
    expect(await readFile(pwned, 'utf8')).toBe('owned\n');
    expect(toolEnds.some(isGuardDenial)).toBe(false);
  });

  it('lets legitimate work inside the worktree through: write src/a.txt, read it, edit it, bash in it', async () => {
    const box = await sandbox();
    const pi = await start(withPathGuard(launchOptions(box), { logFile: box.logFile }));
    const { toolEnds, seen } = await play(pi, 'legit', [
      { name: 'write', arguments: { path: 'src/a.txt', content: 'alpha\n' } },
      { name: 'read', arguments: { path: 'src/a.txt' } },
      { name: 'edit', arguments: { path: join(box.repo, 'src', 'a.txt'), edits: [{ oldText: 'alpha', newText: 'beta' }] } },
      { name: 'bash', arguments: { command: 'cd src && cat a.txt && ls ../src' } },
    ]);
    expect(await readFile(join(box.repo, 'src', 'a.txt'), 'utf8')).toBe('beta\n');
    expect(toolEnds.map((e) => e.isError)).toEqual([false, false, false, false]);
    expect(toolEnds.some(isGuardDenial)).toBe(false);
    expect(seen[1]).toContain('alpha');
    expect(seen[3]).toContain('beta');
    expect(seen[3]).toContain('a.txt');
    expect(await readGuardDenials(box.logFile)).toEqual([]);
  });

  it('in one assistant message with several calls, refuses only the one that escapes', async () => {
    const box = await sandbox();
    const pi = await start(withPathGuard(launchOptions(box), { logFile: box.logFile }));
    const batch: ToolCallSpec[] = [
      { name: 'write', arguments: { path: 'notes.txt', content: 'kept\n' } },
      { name: 'read', arguments: { path: '../outside/secret.txt' } },
      { name: 'bash', arguments: { command: 'echo inside' } },
    ];
    const { toolEnds, seen } = await play(pi, 'batch', [batch]);
    expect(await readFile(join(box.repo, 'notes.txt'), 'utf8')).toBe('kept\n');
    const byName = Object.fromEntries(toolEnds.map((e) => [e.toolName, isGuardDenial(e)]));
    expect(byName).toEqual({ write: false, read: true, bash: false });
    expect(seen).toHaveLength(3);
    expect(seen.filter((t) => t.startsWith(GUARD_REASON_PREFIX))).toHaveLength(1);
    expect(seen.join('\n')).not.toContain(box.secret);
    expect(seen.join('\n')).toContain('inside');
    expect((await readGuardDenials(box.logFile)).map((d) => d.toolName)).toEqual(['read']);
  });

  it('refuses symlinks inside the worktree that point outside (file and directory, read, write, edit, bash)', async () => {
    const box = await sandbox();
    await symlink(join(box.outside, 'secret.txt'), join(box.repo, 'secret-link.txt'));
    await symlink(box.outside, join(box.repo, 'outlink'));
    const calls: ToolCallSpec[] = [
      { name: 'read', arguments: { path: 'secret-link.txt' } },
      { name: 'read', arguments: { path: 'outlink/secret.txt' } },
      { name: 'write', arguments: { path: 'outlink/new.txt', content: 'x\n' } },
      { name: 'edit', arguments: { path: 'secret-link.txt', edits: [{ oldText: 'TOP', newText: 'PWNED' }] } },
      { name: 'bash', arguments: { command: 'cat secret-link.txt' } },
    ];
    const pi = await start(withPathGuard(launchOptions(box), { logFile: box.logFile }));
    const { toolEnds, seen } = await play(pi, 'symlinks', calls);
    expect(toolEnds.every(isGuardDenial)).toBe(true);
    expect(seen.every((t) => t.startsWith(GUARD_REASON_PREFIX) && !t.includes(box.secret))).toBe(true);
    expect(seen[0]).toContain(`resolves to ${join(box.outside, 'secret.txt')}`);
    expect(existsSync(join(box.outside, 'new.txt'))).toBe(false);
    expect(await readFile(join(box.outside, 'secret.txt'), 'utf8')).toBe(`${box.secret}\n`);
    expect((await readGuardDenials(box.logFile)).map((d) => d.toolName)).toEqual(calls.map((c) => c.name));
  });

  it('guards ls, grep and find too, and ~ in read', async () => {
    const box = await sandbox();
    const calls: ToolCallSpec[] = [
      { name: 'ls', arguments: { path: '..' } },
      { name: 'grep', arguments: { pattern: 'root', path: '/etc' } },
      { name: 'find', arguments: { pattern: '*.txt', path: '../outside' } },
      { name: 'read', arguments: { path: '~/.profile' } },
    ];
    const pi = await start(withPathGuard(launchOptions(box, ['read', 'bash', 'edit', 'write', 'ls', 'grep', 'find']), { logFile: box.logFile }));
    const { toolEnds, seen } = await play(pi, 'others', calls);
    expect(toolEnds.map((e) => [e.toolName, isGuardDenial(e)])).toEqual(calls.map((c) => [c.name, true]));
    expect(seen[3]).toContain(`resolves to ${join(box.home, '.profile')}`);
    expect(seen.every((t) => t.startsWith(GUARD_REASON_PREFIX) && !t.includes(box.secret) && !/^repo\/?$/m.test(t))).toBe(true);
    expect(await readGuardDenials(box.logFile)).toHaveLength(calls.length);
  });

  it('fails closed: pi will not start when the guard is loaded without its worktree', async () => {
    const box = await sandbox();
    const options = launchOptions(box);
    const err = await PiRpcProcess.start({ ...options, extraArgs: ['--extension', GUARD_EXTENSION_FILE], readyTimeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentProcessExitedError);
    expect(JSON.stringify((err as AgentProcessExitedError).details)).toContain('GODEL_WORKTREE');
  });
});
