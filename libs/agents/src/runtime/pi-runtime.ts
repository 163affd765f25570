import { AgentProcessExitedError } from '../pi/errors';
import { EventHub } from '../pi/event-hub';
import { PiRpcProcess, type PiRpcStartOptions } from '../pi/pi-rpc-process';
import {
  runtimeEvent,
  type AgentRuntime,
  type AgentRuntimeCapabilities,
  type AgentRuntimeEvent,
  type AgentRuntimeState,
  type AgentUsage,
  type RuntimeCallOptions,
  type RuntimeExit,
} from './agent-runtime';
import { normalizePiEvent } from './normalize-pi-event';

/**
 * `AgentRuntime` over one `pi --mode rpc` process (`PiRpcProcess`, unchanged). pi is long-lived:
 * steering, follow-ups and model switches go to the running process.
 *
 * Beyond pi's own events: if pi dies during a run (not through `stop()`), the runtime emits an
 * `error` (`agent.process_exited`, with pi's stderr) and an `agent.end` with reason `exited`, so a
 * caller waiting for the end of the run is not left hanging.
 */
export class PiRuntime implements AgentRuntime {
  readonly name = 'pi';
  readonly capabilities: AgentRuntimeCapabilities = { steer: true, followUp: true, setModel: true, processPerPrompt: false };
  readonly exited: Promise<RuntimeExit>;

  private readonly hub = new EventHub<AgentRuntimeEvent>();
  private resolveExited!: (exit: RuntimeExit) => void;
  private proc?: PiRpcProcess;
  private starting?: Promise<void>;
  private busy = false;
  private stopping = false;
  private options?: PiRpcStartOptions;

  /**
   * From start options (`start()` spawns pi), or around a `PiRpcProcess` that is already running
   * (then `start()` is a no-op; events from before are not replayed).
   */
  constructor(source: PiRpcStartOptions | PiRpcProcess) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    if (source instanceof PiRpcProcess) {
      this.starting = Promise.resolve();
      this.wire(source);
    } else {
      this.options = source;
    }
  }

  /** The pi client underneath, for pi-only features (`getMessages`, `setAutoRetry`, raw events). */
  get process(): PiRpcProcess | undefined {
    return this.proc;
  }

  /**
   * Spawns pi and waits until it answers. One attempt: after a failure (typed, see
   * `PiRpcProcess.start`) the runtime is finished and `exited` resolves; make a new one to retry.
   */
  start(): Promise<void> {
    this.starting ??= PiRpcProcess.start(this.options as PiRpcStartOptions).then(
      (proc) => this.wire(proc),
      (err: unknown) => {
        this.finish({ code: null, signal: null });
        throw err;
      },
    );
    return this.starting;
  }

  async prompt(text: string, options: RuntimeCallOptions = {}): Promise<void> {
    await this.running().prompt(text, { timeoutMs: options.deadlineMs });
  }

  async steer(text: string, options: RuntimeCallOptions = {}): Promise<void> {
    await this.running().steer(text, { timeoutMs: options.deadlineMs });
  }

  async followUp(text: string, options: RuntimeCallOptions = {}): Promise<void> {
    await this.running().followUp(text, { timeoutMs: options.deadlineMs });
  }

  async abort(options: RuntimeCallOptions = {}): Promise<void> {
    await this.running().abort({ timeoutMs: options.deadlineMs });
  }

  async getState(options: RuntimeCallOptions = {}): Promise<AgentRuntimeState> {
    const proc = this.running();
    const state = await proc.getState({ timeoutMs: options.deadlineMs });
    return {
      busy: state.isStreaming,
      sessionId: state.sessionId,
      ...(state.model ? { model: { provider: state.model.provider, id: state.model.id } } : {}),
      pendingMessages: state.pendingMessageCount ?? 0,
      pid: proc.pid,
    };
  }

  /** pi's session totals (for a resumed session file: including the turns before this process). */
  async getStats(options: RuntimeCallOptions = {}): Promise<AgentUsage> {
    const stats = await this.running().getSessionStats({ timeoutMs: options.deadlineMs });
    return {
      inputTokens: stats.tokens.input,
      outputTokens: stats.tokens.output,
      cacheRead: stats.tokens.cacheRead,
      cacheWrite: stats.tokens.cacheWrite,
      costUsd: stats.cost,
      totalTokens: stats.tokens.total,
    };
  }

  async setModel(provider: string, model: string, options: RuntimeCallOptions = {}): Promise<void> {
    await this.running().setModel(provider, model, { timeoutMs: options.deadlineMs });
  }

  async stop(options: { graceMs?: number } = {}): Promise<RuntimeExit> {
    this.stopping = true;
    if (this.starting) await this.starting.catch(() => undefined);
    if (this.proc) await this.proc.stop(options);
    else this.finish({ code: null, signal: null });
    return this.exited;
  }

  onEvent(listener: (event: AgentRuntimeEvent) => void): () => void {
    return this.hub.subscribe(listener);
  }

  events(): AsyncIterableIterator<AgentRuntimeEvent> {
    return this.hub.iterate();
  }

  private wire(proc: PiRpcProcess): void {
    this.proc = proc;
    proc.onEvent((event) => {
      if (event.type === 'agent_start') this.busy = true;
      if (event.type === 'agent_end') this.busy = false;
      for (const normalized of normalizePiEvent(event)) this.hub.emit(normalized);
    });
    void proc.exited.then((exit) => {
      if (this.busy && !this.stopping) {
        const error = new AgentProcessExitedError(`pi exited during a run (code ${exit.code}, signal ${exit.signal})`, {
          pid: proc.pid,
          ...exit,
          stderrTail: proc.stderrTail.slice(-2_000),
        });
        this.hub.emit(runtimeEvent('error', { message: error.message, error }));
        this.hub.emit(runtimeEvent('agent.end', { ok: false, reason: 'exited', exit }));
      }
      this.busy = false;
      this.finish(exit);
    });
  }

  private finish(exit: RuntimeExit): void {
    if (this.hub.isClosed) return;
    this.hub.close();
    this.resolveExited(exit);
  }

  private running(): PiRpcProcess {
    if (!this.proc) throw new AgentProcessExitedError('pi runtime is not started', { runtime: this.name });
    return this.proc;
  }
}
