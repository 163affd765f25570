import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { onChildEnd } from '../runtime/child-end';
import { AgentProcessExitedError, AgentProtocolError } from './errors';
import { checkLaunchable, spawned, startupFailure } from './pi-start-checks';
import { treeSched, waitReady, type SchedProbe } from './starved';
import { EventHub } from './event-hub';
import { waitForHubEvent } from './wait-for-event';
import { JsonlSplitter } from './jsonl-splitter';
import { parsePiLine } from './parse-pi-line';
import { PendingRequests } from './pending-requests';
import { buildPiArgs, buildPiEnv, type PiLaunchOptions } from './pi-launch';
import type { PiCommand, PiEvent, PiMessage, PiModel, PiResponse, PiSessionStats, PiState } from './pi-protocol';
import type { Launcher } from '../runtime/launcher';

export interface PiRpcStartOptions extends PiLaunchOptions {
  /** Deadline of each command unless the call gives its own. Default 10 s. */
  requestTimeoutMs?: number;
  /** Wait for pi to answer `get_state` before returning from `start`. Default true. */
  waitForReady?: boolean;
  /** Deadline for that first answer (pi needs ~1.2 s on a warm machine), renewed while the box starves pi (`waitReady`). Default 30 s. */
  readyTimeoutMs?: number;
  /** How a start sees whether pi waits for a CPU (tests); default /proc. */
  schedProbe?: SchedProbe;
  /** Wraps the command before it is spawned (the process host puts pi in the OS sandbox). */
  launcher?: Launcher;
}

export interface PiExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PiCallOptions {
  timeoutMs?: number;
}

const ID_PREFIX = 'godel';
const STDERR_TAIL_CHARS = 16 * 1024;

/**
 * One `pi --mode rpc` process: JSONL commands with ids on stdin, responses and events on stdout.
 *
 * Every command has a deadline, so a wedged process rejects with `agent.timeout` instead of hanging
 * the caller; non-protocol output becomes a `protocol_error` event; `stop()` ends stdin (pi's own
 * clean shutdown), then sends SIGTERM, then SIGKILL, to the process group pi leads.
 */
export class PiRpcProcess {
  readonly pid: number;
  /** Resolves once the process is gone and its output is read. Never rejects. */
  readonly exited: Promise<PiExit>;
  readonly startedAt = Date.now();

  private readonly hub = new EventHub<PiEvent>();
  private readonly pending = new PendingRequests(ID_PREFIX);
  private readonly splitter: JsonlSplitter;
  private readonly requestTimeoutMs: number;
  private exit?: PiExit;
  private stderr = '';
  private ready?: number;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    options: PiRpcStartOptions,
  ) {
    this.pid = child.pid as number;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.splitter = new JsonlSplitter(
      (line) => this.onLine(line),
      (dropped) => this.reportGarbage('', `a record longer than the line limit (${dropped} characters dropped)`),
    );
    child.stdout.on('data', (chunk: Buffer) => this.splitter.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.stdin.on('error', () => undefined); // EPIPE once pi is gone; writers learn it from `exited`.
    child.on('error', () => undefined); // kill() failures; the spawn error itself is handled in start().
    this.exited = new Promise<PiExit>((resolve) => {
      onChildEnd(
        child,
        (exit) => {
          if (this.hub.isClosed) return;
          this.exit = exit;
          this.splitter.end();
          this.pending.failAll((command, id) => this.exitedError(`pi exited before answering "${command}"`, { command, id }));
          this.hub.close();
          resolve(exit);
        },
        (exit) => (this.exit = exit),
      );
    });
  }

  /**
   * Spawns pi and (by default) waits until it answers. Typed failures: `agent.runtime_missing` (no
   * pi binary, or no node for its shebang), `agent.spawn_failed` (e.g. cwd missing),
   * `agent.timeout` (no answer within `readyTimeoutMs`; the process is killed),
   * `agent.process_exited` (pi quit during startup; stderr is in the details).
   */
  static async start(options: PiRpcStartOptions): Promise<PiRpcProcess> {
    const piBin = options.piBin ?? 'pi';
    const args = buildPiArgs(options);
    await checkLaunchable(piBin, options.cwd);
    const plain = { file: piBin, args, cwd: options.cwd, env: buildPiEnv(options) };
    const cmd = options.launcher ? await options.launcher(plain) : { ...plain, close: async () => undefined };
    const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env, stdio: 'pipe', detached: true });
    try {
      await spawned(child, cmd.file);
    } catch (err) {
      await cmd.close();
      throw err;
    }
    const proc = new PiRpcProcess(child, options);
    void proc.exited.then(() => cmd.close());
    if (options.waitForReady === false) return proc;
    const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    try {
      await waitReady((timeoutMs) => proc.getState({ timeoutMs }), proc.pid, readyTimeoutMs, options.schedProbe ?? treeSched);
      proc.ready = Date.now() - proc.startedAt;
      return proc;
    } catch (err) {
      await proc.stop({ graceMs: 0 });
      throw startupFailure(err, { piBin, readyTimeoutMs, waitedMs: Date.now() - proc.startedAt, pid: proc.pid, exitCode: proc.exit?.code, stderrTail: proc.stderr.slice(-2_000) });
    }
  }

  /** Milliseconds from spawn to pi's first answer, when `start` waited for it. */
  get readyAfterMs(): number | undefined {
    return this.ready;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The last 16 KB pi wrote to stderr. */
  get stderrTail(): string {
    return this.stderr;
  }

  /** Calls `listener` for every event in stdout order; returns the unsubscribe function. */
  onEvent(listener: (event: PiEvent) => void): () => void {
    return this.hub.subscribe(listener);
  }

  /** Events from now on, buffered; the iteration ends when the process exits. */
  events(): AsyncIterableIterator<PiEvent> {
    return this.hub.iterate();
  }

  /**
   * The next event of `type` (matching `where`). Subscribe before causing it: call this, then send
   * the command, then await. Rejects with `agent.timeout` or `agent.process_exited`.
   */
  waitForEvent<K extends PiEvent['type']>(
    type: K,
    options: { timeoutMs?: number; where?: (event: Extract<PiEvent, { type: K }>) => boolean } = {},
  ): Promise<Extract<PiEvent, { type: K }>> {
    return waitForHubEvent(this.hub, type, options.timeoutMs ?? this.requestTimeoutMs, options.where, () => this.exitedError(`pi exited while waiting for "${type}"`, { waitingFor: type }));
  }

  /** A fresh session (pi rebuilds what it reads from its working folder: settings, system prompt files). */
  async newSession(options: PiCallOptions = {}): Promise<void> {
    await this.request({ type: 'new_session' }, options);
  }

  /** Continues in another session file (pi re-reads its working folder, as for a new session). */
  async switchSession(sessionPath: string, options: PiCallOptions = {}): Promise<void> {
    await this.request({ type: 'switch_session', sessionPath }, options);
  }

  /** Sends any RPC command and returns pi's successful response (`agent.command_failed` otherwise). */
  request(command: PiCommand, options: PiCallOptions = {}): Promise<PiResponse> {
    if (this.exit || !this.child.stdin.writable) {
      return Promise.reject(this.exitedError(`pi is not running; cannot send "${command.type}"`, { command: command.type }));
    }
    const { id, response } = this.pending.open(command.type, options.timeoutMs ?? this.requestTimeoutMs);
    this.child.stdin.write(`${JSON.stringify({ ...command, id })}\n`, (err) => {
      if (err) this.pending.fail(id, this.exitedError(`cannot write "${command.type}" to pi: ${err.message}`, { command: command.type, id }));
    });
    return response;
  }

  /**
   * Sends a user prompt. Resolves when pi accepted it; the run itself streams as events, and
   * failures after acceptance (e.g. the model erring) arrive as events too, not here.
   */
  async prompt(message: string, options: PiCallOptions & { streamingBehavior?: 'steer' | 'followUp'; images?: unknown[] } = {}): Promise<void> {
    const { timeoutMs, ...fields } = options;
    await this.request({ type: 'prompt', message, ...fields }, { timeoutMs });
  }

  /** Queues a message delivered after the current turn's tool calls, before the next model call. */
  async steer(message: string, options: PiCallOptions = {}): Promise<void> {
    await this.request({ type: 'steer', message }, options);
  }

  /** Queues a message delivered once the agent would otherwise stop. */
  async followUp(message: string, options: PiCallOptions = {}): Promise<void> {
    await this.request({ type: 'follow_up', message }, options);
  }

  async abort(options: PiCallOptions = {}): Promise<void> {
    await this.request({ type: 'abort' }, options);
  }

  async getState(options: PiCallOptions = {}): Promise<PiState> {
    return (await this.request({ type: 'get_state' }, options)).data as PiState;
  }

  async getSessionStats(options: PiCallOptions = {}): Promise<PiSessionStats> {
    return (await this.request({ type: 'get_session_stats' }, options)).data as PiSessionStats;
  }

  async getMessages(options: PiCallOptions = {}): Promise<PiMessage[]> {
    return ((await this.request({ type: 'get_messages' }, options)).data as { messages: PiMessage[] }).messages;
  }

  /** Switches model for the next model call (pi also stores it as the default in settings.json). */
  async setModel(provider: string, modelId: string, options: PiCallOptions = {}): Promise<PiModel> {
    return (await this.request({ type: 'set_model', provider, modelId }, options)).data as PiModel;
  }

  /** pi's own retry of transient model errors (persisted by pi in settings.json). */
  async setAutoRetry(enabled: boolean, options: PiCallOptions = {}): Promise<void> {
    await this.request({ type: 'set_auto_retry', enabled }, options);
  }

  /** Cancels a retry that is waiting out its back-off. */
  async abortRetry(options: PiCallOptions = {}): Promise<void> {
    await this.request({ type: 'abort_retry' }, options);
  }

  /**
   * Ends the process: closes stdin (pi shuts down cleanly and exits 0), after half the grace period
   * sends SIGTERM, after the other half SIGKILL, each to pi's whole process group. Idempotent.
   */
  async stop(options: { graceMs?: number } = {}): Promise<PiExit> {
    const graceMs = options.graceMs ?? 3_000;
    if (this.exit) return this.exited;
    this.child.stdin.end();
    if (await this.exitsWithin(graceMs / 2)) return this.exited;
    this.signal('SIGTERM');
    if (await this.exitsWithin(graceMs / 2)) return this.exited;
    this.signal('SIGKILL');
    return this.exited;
  }

  private onLine(line: string): void {
    const parsed = parsePiLine(line);
    switch (parsed.kind) {
      case 'blank':
        return;
      case 'garbage':
        return this.reportGarbage(line, parsed.reason);
      case 'event':
        return this.hub.emit(parsed.event);
      case 'response': {
        if (this.pending.settle(parsed.response)) return;
        // An answer to one of ours that came after its deadline: the caller already has its timeout.
        if (parsed.response.id?.startsWith(`${ID_PREFIX}-`)) return;
        return this.reportGarbage(line, `a response nobody asked for (command "${parsed.response.command}")`);
      }
    }
  }

  private reportGarbage(line: string, reason: string): void {
    const shown = line.length > 2_000 ? `${line.slice(0, 2_000)}…` : line;
    const error = new AgentProtocolError(`pi wrote ${reason} on stdout`, { pid: this.pid, reason, line: shown });
    this.hub.emit({ type: 'protocol_error', error, line: shown });
  }

  private exitsWithin(ms: number): Promise<boolean> {
    if (this.exit) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void this.exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Signals pi's process group (pi is spawned detached, so it leads one), else pi alone. */
  private signal(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // Already gone.
      }
    }
  }

  private exitedError(message: string, details: Record<string, unknown>): AgentProcessExitedError {
    return new AgentProcessExitedError(message, { pid: this.pid, ...this.exit, ...details, stderrTail: this.stderr.slice(-2_000) });
  }

}
