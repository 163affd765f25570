/**
 * Shared fixture of the CommandRuntime specs: real processes, fake CLIs (the node scripts in
 * src/command/fixtures print what Claude Code and Codex print, keep session state on disk so resume
 * works, and misbehave on purpose). A temp folder per test; every runtime and stray process of a test
 * is stopped after it.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { waitForAgentEnd, type AgentRuntimeEvent, type AgentRuntimeEventOf } from '../src/runtime/agent-runtime';
import { CommandRuntime, type CommandRuntimeOptions } from '../src/command/command-runtime';

export const FIXTURES = join(__dirname, '..', 'src', 'command', 'fixtures');
export const RUN_TIMEOUT_MS = 10_000;

export interface Invocation {
  cli: string;
  argv: string[];
  pid: number;
  prompt?: string;
}

/** Alive and not a zombie (PID 1 of a container may never reap an orphan). */
export function alive(pid: number): boolean {
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

export async function expectGone(pid: number, withinMs = 3_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false });
}

/** Registers the per-test folder and clean-up for the calling file; returns the helpers. */
export function commandRuntimeFixture() {
  let root = '';
  let cwd = '';
  let log = '';
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

  return {
    get root() {
      return root;
    },
    get cwd() {
      return cwd;
    },
    env,
    runtime,
    run,
    invocations,
    hangPids,
    expectAllGone,
    kindsOf,
  };
}
