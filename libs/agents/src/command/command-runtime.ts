import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { AgentCommandError, AgentProcessExitedError, type AgentError } from '../pi/errors';
import { EventHub } from '../pi/event-hub';
import {
  runtimeEvent,
  type AgentRuntime,
  type AgentRuntimeCapabilities,
  type AgentRuntimeEvent,
  type AgentRuntimeState,
  type AgentUsage,
  type RuntimeExit,
} from '../runtime/agent-runtime';
import { AgentUnsupportedError } from '../runtime/errors';
import { DEFAULT_ARGS, DEFAULT_COMMAND, buildCommandArgs, templateUses, type ArgTemplate } from './command-args';
import { checkWorkspace, resolveExecutable, spawnInGroup } from './launch';
import { LineNormalizer } from './line-normalizer';
import type { CommandRuntimeOptions } from './command-runtime-options';
import { CommandRun, type RunHost } from './command-run';

export type { CommandRuntimeOptions } from './command-runtime-options';

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
  private current?: CommandRun;
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
    await this.current?.abort(this.killGraceMs);
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
      if (this.current) exit = await this.current.abort(options.graceMs ?? this.killGraceMs);
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
    this.current = new CommandRun(child, this.runHost());
    this.emit(runtimeEvent('message', { role: 'user', text }));
    if (templateUses(this.template, 'prompt')) child.stdin.end();
    else child.stdin.end(text);
  }

  /** What each run reads from this runtime (deadlines, the normalizer) and how it reports back. */
  private runHost(): RunHost {
    return {
      name: this.name,
      command: this.command,
      normalizer: this.normalizer,
      runTimeoutMs: this.runTimeoutMs,
      idleTimeoutMs: this.options.idleTimeoutMs,
      killGraceMs: this.killGraceMs,
      exitAfterEndMs: this.exitAfterEndMs,
      emit: (event) => this.emit(event),
      released: (run) => {
        if (this.current === run) this.current = undefined;
      },
      ended: (end) => {
        this.emit(runtimeEvent('agent.end', end));
        this.launchQueued();
      },
    };
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
