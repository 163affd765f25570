import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { onChildEnd } from '../runtime/child-end';
import {
  AgentCommandError,
  AgentProcessExitedError,
  AgentRuntimeMissingError,
  AgentTimeoutError,
  type AgentError,
} from '../pi/errors';
import { EventHub } from '../pi/event-hub';
import { JsonlSplitter } from '../pi/jsonl-splitter';
import {
  runtimeEvent,
  type AgentRuntime,
  type AgentRuntimeCapabilities,
  type AgentRuntimeEvent,
  type AgentRuntimeEventData,
  type AgentRuntimeState,
  type AgentUsage,
  type RuntimeExit,
} from '../runtime/agent-runtime';
import { AgentUnsupportedError } from '../runtime/errors';
import { DEFAULT_ARGS, DEFAULT_COMMAND, buildCommandArgs, templateUses, type ArgTemplate, type CommandDialect } from './command-args';
import { checkWorkspace, resolveExecutable, spawnInGroup } from './launch';
import type { Launcher } from '../runtime/launcher';
import { LineNormalizer } from './line-normalizer';
import type { UsageReportingModes } from './usage-meter';

export interface CommandRuntimeOptions {
  /** How the CLI writes its JSON lines. */
  dialect: CommandDialect;
  /** Executable: a path (relative to `cwd`) or a name looked up on `baseEnv.PATH`. Default `claude` / `codex`. */
  command?: string;
  /** Argument template of every run (see `ArgTemplate`). Default: `DEFAULT_ARGS[dialect]`. */
  args?: ArgTemplate;
  /** Spliced in where the template says `{extraArgs}`: permission / sandbox policy, etc. */
  extraArgs?: string[];
  /** The agent's workspace. */
  cwd: string;
  /** The child's whole environment (nothing is inherited from this process). */
  baseEnv: Record<string, string>;
  /**
   * Continue one conversation across prompts: each run after the first passes the session / thread
   * id the previous run reported (`{sessionId}` in the template). Default true.
   */
  resume?: boolean;
  /** A session / thread id to resume on the first prompt (e.g. from before a restart). */
  sessionId?: string;
  /** Initial values of `{provider}` / `{model}` (`setModel` changes them for the next prompt). */
  provider?: string;
  model?: string;
  /** A run still going after this long is killed and ends with reason `timeout`. Default 30 min. */
  runTimeoutMs?: number;
  /** A run that writes nothing (stdout or stderr) for this long is killed likewise. Default: off. */
  idleTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL to the run's process group. Default 2 s. */
  killGraceMs?: number;
  /**
   * How long a CLI may linger after its final record (`result`, `turn.completed`, `turn.failed`)
   * before it is killed; the run still ends as the CLI reported (Claude Code can hang on after its
   * result, e.g. held by an MCP server). Default 10 s.
   */
  exitAfterEndMs?: number;
  /** Override how the CLI reports usage (default per dialect: `DEFAULT_USAGE_REPORTING`). */
  usageReporting?: Partial<UsageReportingModes>;
  /** `AgentRuntime.name`; default the dialect. */
  name?: string;
  /** Wraps each run's command before it is spawned (the process host puts it in the OS sandbox). */
  launcher?: Launcher;
}

interface Run {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  readonly splitter: JsonlSplitter;
  done: Promise<RuntimeExit>;
  stderr: string;
  sawStdout: boolean;
  finished: boolean;
  /** The CLI's own end of the run, held back until the process is gone. */
  end?: AgentRuntimeEventData['agent.end'];
  /** Why we are killing it, if we are (`lingered`: still there after its final record). */
  killedFor?: 'aborted' | 'timeout' | 'lingered';
  runTimer?: NodeJS.Timeout;
  idleTimer?: NodeJS.Timeout;
  lingerTimer?: NodeJS.Timeout;
}

const STDERR_TAIL_CHARS = 16 * 1024;
/** After `exit`, how long to wait for stdout to drain (`close`) before giving up on it. */

/**
 * `AgentRuntime` for coding CLIs that stream JSON lines and run one process per prompt (Claude
 * Code's `-p --output-format stream-json`, `codex exec --json`, or any CLI speaking one of those
 * dialects). Each prompt spawns the command in its own process group with the configured
 * arguments; the conversation continues through the CLI's resume (`--resume <id>`,
 * `codex exec resume <id>`), with the id the previous run reported.
 *
 * Every run ends with one `agent.end`, emitted once its process is gone: the CLI's own end
 * (`result`, `turn.completed`, `turn.failed`), or `aborted`, `timeout` (run / idle deadline; the
 * process group is killed), `exited` (the process died without finishing; stderr is in the `error`
 * event's details). Garbage on stdout is a `protocol_error` event. A run leaves no processes: when
 * its leader exits, what is left of its group is killed.
 *
 * `followUp` queues prompts for when the current run ends (only with `resume`, so they land in the
 * same conversation); `steer` is not possible with one process per prompt.
 */
export class CommandRuntime implements AgentRuntime {
  readonly name: string;
  readonly capabilities: AgentRuntimeCapabilities;
  readonly exited: Promise<RuntimeExit>;

  private readonly hub = new EventHub<AgentRuntimeEvent>();
  private readonly normalizer: LineNormalizer;
  private readonly template: ArgTemplate;
  private readonly command: string;
  private readonly resume: boolean;
  private readonly runTimeoutMs: number;
  private readonly killGraceMs: number;
  private readonly exitAfterEndMs: number;
  private resolveExited!: (exit: RuntimeExit) => void;
  private executable?: string;
  private phase: 'new' | 'started' | 'stopped' = 'new';
  private current?: Run;
  private launching?: Promise<void>;
  private stopping?: Promise<RuntimeExit>;
  private readonly queue: string[] = [];
  private provider?: string;
  private model?: string;

  constructor(private readonly options: CommandRuntimeOptions) {
    this.name = options.name ?? options.dialect;
    this.template = options.args ?? DEFAULT_ARGS[options.dialect];
    this.command = options.command ?? DEFAULT_COMMAND[options.dialect];
    this.resume = options.resume ?? true;
    this.runTimeoutMs = options.runTimeoutMs ?? 30 * 60_000;
    this.killGraceMs = options.killGraceMs ?? 2_000;
    this.exitAfterEndMs = options.exitAfterEndMs ?? 10_000;
    this.provider = options.provider;
    this.model = options.model;
    this.normalizer = new LineNormalizer(options.dialect, { usageReporting: options.usageReporting, sessionId: options.sessionId });
    this.capabilities = {
      steer: false,
      followUp: this.resume && templateUses(this.template, 'sessionId'),
      setModel: templateUses(this.template, 'model'),
      processPerPrompt: true,
    };
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  /** The session / thread id the next prompt resumes (when `resume` is on). */
  get sessionId(): string | undefined {
    return this.normalizer.sessionId;
  }

  /**
   * Checks the workspace (`agent.spawn_failed`) and finds the executable (`agent.runtime_missing`)
   * without running anything. Idempotent.
   */
  async start(): Promise<void> {
    this.assertNotStopped();
    if (this.executable) return;
    await checkWorkspace(this.options.cwd);
    this.executable = await resolveExecutable(this.command, this.options.baseEnv, this.options.cwd);
    if (this.phase === 'new') this.phase = 'started';
  }

  /**
   * Spawns a run for `text`; resolves once the process runs. Rejects with `agent.command_failed`
   * while a run is going (use `followUp`), `agent.runtime_missing` / `agent.spawn_failed` when it
   * cannot start.
   */
  async prompt(text: string): Promise<void> {
    this.assertStarted();
    if (this.busy) {
      throw new AgentCommandError(`${this.name} is already running a prompt; queue this one with followUp()`, { runtime: this.name, pid: this.current?.pid });
    }
    await this.launch(text);
  }

  async steer(): Promise<void> {
    throw new AgentUnsupportedError(`${this.name} runs one process per prompt: it cannot take a message during a run`, { runtime: this.name, capability: 'steer' });
  }

  /** Runs `text` once the current run ends, resuming its conversation; at once when idle. */
  async followUp(text: string): Promise<void> {
    if (!this.capabilities.followUp) {
      throw new AgentUnsupportedError(`${this.name} does not resume conversations, so it cannot queue a follow-up`, { runtime: this.name, capability: 'followUp' });
    }
    this.assertStarted();
    if (this.busy) this.queue.push(text);
    else await this.launch(text);
  }

  /** Kills the current run (SIGTERM, then SIGKILL to its group) and drops queued follow-ups. */
  async abort(): Promise<void> {
    this.queue.length = 0;
    if (this.launching) await this.launching.catch(() => undefined);
    const run = this.current;
    if (!run) return;
    run.killedFor ??= 'aborted';
    await this.kill(run, this.killGraceMs);
  }

  async getState(): Promise<AgentRuntimeState> {
    return {
      busy: this.busy,
      ...(this.normalizer.sessionId ? { sessionId: this.normalizer.sessionId } : {}),
      ...(this.model ? { model: { ...(this.provider ? { provider: this.provider } : {}), id: this.model } } : {}),
      pendingMessages: this.queue.length,
      ...(this.current ? { pid: this.current.pid } : {}),
    };
  }

  /** Usage of every run of this runtime, as deltas (see `UsageMeter`). */
  async getStats(): Promise<AgentUsage> {
    return this.normalizer.totalUsage;
  }

  /** Sets `{provider}` / `{model}` for the next prompt (needs `{model}` in the template). */
  async setModel(provider: string, model: string): Promise<void> {
    if (!this.capabilities.setModel) {
      throw new AgentUnsupportedError(`the argument template of ${this.name} has no {model}`, { runtime: this.name, capability: 'setModel' });
    }
    this.provider = provider;
    this.model = model;
  }

  /** Kills the current run if any (its `agent.end` says `aborted`), then finishes. Idempotent. */
  stop(options: { graceMs?: number } = {}): Promise<RuntimeExit> {
    this.stopping ??= (async () => {
      this.phase = 'stopped';
      this.queue.length = 0;
      if (this.launching) await this.launching.catch(() => undefined);
      let exit: RuntimeExit = { code: 0, signal: null };
      const run = this.current;
      if (run) {
        run.killedFor ??= 'aborted';
        exit = await this.kill(run, options.graceMs ?? this.killGraceMs);
      }
      this.hub.close();
      this.resolveExited(exit);
      return exit;
    })();
    return this.stopping;
  }

  onEvent(listener: (event: AgentRuntimeEvent) => void): () => void {
    return this.hub.subscribe(listener);
  }

  events(): AsyncIterableIterator<AgentRuntimeEvent> {
    return this.hub.iterate();
  }

  private get busy(): boolean {
    return this.current !== undefined || this.launching !== undefined;
  }

  private launch(text: string): Promise<void> {
    const launching = this.spawnRun(text).finally(() => {
      if (this.launching === launching) this.launching = undefined;
    });
    this.launching = launching;
    return launching;
  }

  private async spawnRun(text: string): Promise<void> {
    const resumeId = this.resume ? this.normalizer.sessionId : undefined;
    const args = buildCommandArgs(this.template, { prompt: text, sessionId: resumeId, model: this.model, provider: this.provider }, this.options.extraArgs);
    const plain = { file: this.executable as string, args, cwd: this.options.cwd, env: this.options.baseEnv };
    const cmd = this.options.launcher ? await this.options.launcher(plain) : { ...plain, close: async () => undefined };
    let child: ChildProcessWithoutNullStreams;
    try {
      child = await spawnInGroup(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env });
    } catch (err) {
      await cmd.close();
      throw err;
    }
    child.once('exit', () => void cmd.close());
    this.normalizer.beginRun(resumeId !== undefined);
    this.current = this.track(child);
    this.emit(runtimeEvent('message', { role: 'user', text }));
    if (templateUses(this.template, 'prompt')) child.stdin.end();
    else child.stdin.end(text);
  }

  private track(child: ChildProcessWithoutNullStreams): Run {
    const pid = child.pid as number;
    const splitter = new JsonlSplitter(
      (line) => this.onLine(run, line),
      (dropped) => this.emit(this.normalizer.garbage('', `a line longer than the limit (${dropped} characters dropped)`, Date.now(), { pid })),
    );
    const run: Run = { child, pid, splitter, done: Promise.resolve({ code: null, signal: null }), stderr: '', sawStdout: false, finished: false };
    child.stdout.on('data', (chunk: Buffer) => {
      run.sawStdout = true;
      this.touch(run);
      splitter.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.touch(run);
      run.stderr = (run.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.stdin.on('error', () => undefined); // EPIPE when the CLI does not read stdin
    child.on('error', () => undefined); // kill() failures; spawn errors were handled by spawnInGroup
    run.runTimer = setTimeout(() => this.timeOut(run, 'run', this.runTimeoutMs), this.runTimeoutMs);
    this.touch(run);
    run.done = new Promise<RuntimeExit>((resolve) => {
      onChildEnd(
        child,
        (exit) => {
          if (run.finished) return;
          run.finished = true;
          this.finishRun(run, exit);
          resolve(exit);
        },
        () => killGroup(pid, 'SIGKILL'), // whatever the run left behind in its group
      );
    });
    return run;
  }

  private onLine(run: Run, line: string): void {
    for (const event of this.normalizer.push(line, Date.now(), { pid: run.pid })) {
      if (event.kind !== 'agent.end') {
        this.emit(event);
        continue;
      }
      run.end = event.data;
      clearTimeout(run.lingerTimer);
      run.lingerTimer = setTimeout(() => this.reap(run), this.exitAfterEndMs);
    }
  }

  /** The CLI reported the end of its run but does not exit: kill it, keep its report. */
  private reap(run: Run): void {
    if (run.finished || run.killedFor) return;
    run.killedFor = 'lingered';
    void this.kill(run, this.killGraceMs);
  }

  private touch(run: Run): void {
    const idleMs = this.options.idleTimeoutMs;
    if (idleMs === undefined || run.finished) return;
    clearTimeout(run.idleTimer);
    run.idleTimer = setTimeout(() => this.timeOut(run, 'idle', idleMs), idleMs);
  }

  private timeOut(run: Run, operation: 'run' | 'idle', timeoutMs: number): void {
    if (run.finished || run.killedFor) return;
    if (run.end) return this.reap(run); // the run itself is over; only the process lingers
    run.killedFor = 'timeout';
    const message =
      operation === 'run'
        ? `${this.name} did not finish its run within ${timeoutMs} ms; killing process group ${run.pid}`
        : `${this.name} wrote nothing for ${timeoutMs} ms; killing process group ${run.pid}`;
    const error = new AgentTimeoutError(message, { operation, timeoutMs, pid: run.pid, stderrTail: run.stderr.slice(-2_000) });
    this.emit(runtimeEvent('error', { message, error }));
    void this.kill(run, this.killGraceMs);
  }

  /** SIGTERM to the run's group, SIGKILL after `graceMs`; resolves when the run is finished. */
  private async kill(run: Run, graceMs: number): Promise<RuntimeExit> {
    if (run.finished) return run.done;
    signalRun(run, 'SIGTERM');
    if (await settlesWithin(run.done, graceMs)) return run.done;
    signalRun(run, 'SIGKILL');
    return run.done;
  }

  private finishRun(run: Run, exit: RuntimeExit): void {
    clearTimeout(run.runTimer);
    clearTimeout(run.idleTimer);
    clearTimeout(run.lingerTimer);
    run.splitter.end();
    if (this.current === run) this.current = undefined;
    const sessionId = this.normalizer.sessionId;
    const common = { exit, ...(sessionId ? { sessionId } : {}) };
    let end: AgentRuntimeEventData['agent.end'];
    if (run.end && (run.killedFor !== undefined || exit.code === 0 || !run.end.ok)) {
      // The CLI reported how its run ended; killing a process that lingered after that changes nothing.
      end = { ...run.end, ...common };
    } else if (run.killedFor === 'aborted' || run.killedFor === 'timeout') {
      end = { ok: false, reason: run.killedFor, ...common };
    } else {
      const error = this.exitError(run, exit);
      this.emit(runtimeEvent('error', { message: error.message, error }));
      end = { ok: false, reason: error instanceof AgentRuntimeMissingError ? 'failed' : 'exited', detail: error.message, ...common };
    }
    this.emit(runtimeEvent('agent.end', end));
    this.launchQueued();
  }

  private exitError(run: Run, exit: RuntimeExit): AgentError {
    const stderrTail = run.stderr.slice(-2_000);
    // `#!/usr/bin/env node` without node on the child's PATH, or a wrapper script not finding its CLI.
    if (exit.code === 127 && !run.sawStdout) {
      return new AgentRuntimeMissingError(`${this.command} could not run (exit 127): ${stderrTail.trim() || 'command not found'}`, {
        command: this.command,
        pid: run.pid,
        stderrTail,
      });
    }
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    const what = run.end ? 'after reporting success' : 'without finishing the run';
    const firstLine = stderrTail.trim().split('\n').at(-1);
    return new AgentProcessExitedError(`${this.name} exited with ${how} ${what}${firstLine ? `: ${firstLine}` : ''}`, {
      pid: run.pid,
      ...exit,
      stderrTail,
    });
  }

  private launchQueued(): void {
    if (this.phase !== 'started' || this.busy) return;
    const text = this.queue.shift();
    if (text === undefined) return;
    this.launch(text).catch((err: unknown) => {
      const error = err as AgentError;
      this.emit(runtimeEvent('error', { message: error.message, error }));
      this.emit(runtimeEvent('agent.end', { ok: false, reason: 'failed', detail: error.message }));
      this.launchQueued();
    });
  }

  private emit(event: AgentRuntimeEvent): void {
    this.hub.emit(event);
  }

  private assertNotStopped(): void {
    if (this.phase === 'stopped') throw new AgentProcessExitedError(`${this.name} runtime is stopped`, { runtime: this.name });
  }

  private assertStarted(): void {
    this.assertNotStopped();
    if (this.phase === 'new') throw new AgentProcessExitedError(`${this.name} runtime is not started; call start() first`, { runtime: this.name });
  }
}

/** Signals the group the run leads; the leader alone if the group is gone but it is not. */
function signalRun(run: Run, signal: NodeJS.Signals): void {
  if (killGroup(run.pid, signal)) return;
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill(signal);
}

/** Only the group: after the leader is reaped its pid may belong to someone else. */
function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
