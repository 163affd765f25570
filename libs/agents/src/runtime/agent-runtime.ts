import { AgentProcessExitedError, AgentTimeoutError, type AgentError, type AgentProtocolError } from '../pi/errors';

/**
 * The one contract every coding-agent runtime implements: a long-lived RPC process (`PiRuntime`)
 * as well as CLIs that run one process per prompt (`CommandRuntime`: Claude Code, Codex, ...).
 *
 * Lifecycle: `start()` once, then `prompt()`; the run streams as normalized events and ends with
 * exactly one `agent.end` per run (the only reliable "the prompt is done" signal). `stop()` ends
 * the runtime for good; `exited` resolves then (or when a long-lived process dies on its own).
 * Failures of the runtime itself reject with the typed errors of `../pi/errors`; failures *during*
 * a run arrive as `error` events, never as rejections.
 */
export interface AgentRuntime {
  /** What runs underneath: `pi`, `claude-stream-json`, `codex-exec-json`, or a configured name. */
  readonly name: string;
  readonly capabilities: AgentRuntimeCapabilities;
  /** Resolves once the runtime is finished (after `stop()`, or its process died). Never rejects. */
  readonly exited: Promise<RuntimeExit>;

  /**
   * Makes the runtime ready: spawns the long-lived process, or checks that the CLI and workspace
   * exist. Rejects with `agent.runtime_missing`, `agent.spawn_failed` or `agent.timeout`.
   */
  start(): Promise<void>;
  /**
   * Starts a run with a user prompt. Resolves once the runtime accepted it; the run streams as
   * events. Rejects when it cannot start (`agent.command_failed` when a run is already going,
   * `agent.process_exited` after stop / before start, `agent.runtime_missing` ...).
   */
  prompt(text: string, options?: RuntimeCallOptions): Promise<void>;
  /** A message delivered into the running turn (`capabilities.steer`; else `agent.unsupported`). */
  steer(text: string, options?: RuntimeCallOptions): Promise<void>;
  /** A message delivered once the current run ends (`capabilities.followUp`; else `agent.unsupported`). */
  followUp(text: string, options?: RuntimeCallOptions): Promise<void>;
  /** Ends the current run (its `agent.end` says `aborted`) and drops queued follow-ups. Idle: no-op. */
  abort(options?: RuntimeCallOptions): Promise<void>;
  getState(options?: RuntimeCallOptions): Promise<AgentRuntimeState>;
  /** Tokens and cost of this runtime's conversation so far. */
  getStats(options?: RuntimeCallOptions): Promise<AgentUsage>;
  /** Model for the next model call / next prompt (`capabilities.setModel`; else `agent.unsupported`). */
  setModel(provider: string, model: string, options?: RuntimeCallOptions): Promise<void>;
  /** Ends the runtime (and any run) for good, escalating to SIGKILL of the process group. Idempotent. */
  stop(options?: { graceMs?: number }): Promise<RuntimeExit>;

  /** Calls `listener` for every event, in order; returns the unsubscribe function. */
  onEvent(listener: (event: AgentRuntimeEvent) => void): () => void;
  /** Events from now on, buffered; the iteration ends when the runtime is finished. */
  events(): AsyncIterableIterator<AgentRuntimeEvent>;
}

export interface AgentRuntimeCapabilities {
  /** `steer()` injects a message into the running turn. */
  steer: boolean;
  /** `followUp()` queues a message for when the run ends (same conversation). */
  followUp: boolean;
  /** `setModel()` switches the model without restarting the runtime. */
  setModel: boolean;
  /** One process per prompt (the conversation continues through the CLI's own resume). */
  processPerPrompt: boolean;
}

export interface RuntimeCallOptions {
  /** How long to wait for the runtime's answer, in milliseconds (a duration, not a timestamp). */
  deadlineMs?: number;
}

export interface RuntimeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface AgentRuntimeState {
  /** A run is in progress (pi: `isStreaming`; command: a process is running). */
  busy: boolean;
  /** pi's session id, or the CLI's session / thread id the next prompt resumes. */
  sessionId?: string;
  model?: { provider?: string; id: string };
  /** Queued steering / follow-up messages. */
  pendingMessages: number;
  /** pid of the process doing the work right now, if any. */
  pid?: number;
}

/**
 * Token counts and cost. `inputTokens` excludes cache reads and writes (each counted once, in its
 * own field); `totalTokens = inputTokens + outputTokens + cacheRead + cacheWrite`. A field is
 * absent when the runtime does not report it (Codex: no cost, no cache writes).
 */
export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  cacheRead?: number;
  cacheWrite?: number;
  costUsd?: number;
  totalTokens: number;
}

export type AgentRuntimeEventKind =
  | 'turn.start'
  | 'turn.end'
  | 'message'
  | 'tool.start'
  | 'tool.end'
  | 'usage'
  | 'error'
  | 'agent.end'
  | 'protocol_error';

/**
 * How a run ended. `completed`: the agent finished; `failed`: it reported an error (model,
 * provider, the CLI's own error result) or could not be launched; `aborted`: `abort()` / `stop()`;
 * `timeout`: the runtime's deadline killed it; `exited`: the process died without finishing.
 */
export type RunEndReason = 'completed' | 'failed' | 'aborted' | 'timeout' | 'exited';

export interface AgentRuntimeEventData {
  /**
   * A unit of model work begins. pi: every model call (a tool loop has several turns); command
   * CLIs: one per prompt.
   */
  'turn.start': { sessionId?: string; model?: string };
  /** `stopReason`: the runtime's own word (pi `stop`/`toolUse`/`error`, Claude result subtype, ...). */
  'turn.end': { stopReason?: string };
  /** A complete user or assistant text message (thinking and tool calls are not messages). */
  message: { role: 'user' | 'assistant'; text: string; model?: string };
  'tool.start': { toolCallId: string; name: string; args: Record<string, unknown> };
  /** `output`: the tool result as text, cut to 16 KB. */
  'tool.end': { toolCallId: string; name: string; isError: boolean; output?: string };
  /** What this event *adds*: summing all `usage` events of a runtime gives its totals. */
  usage: AgentUsage;
  /** Something went wrong during a run; `willRetry` when the runtime retries by itself. */
  error: { message: string; error: AgentError; willRetry?: boolean };
  /** The run is over; exactly one per run. `text`: the final assistant answer, when known. */
  'agent.end': { ok: boolean; reason: RunEndReason; detail?: string; text?: string; sessionId?: string; exit?: RuntimeExit };
  /** stdout carried something that is not the protocol; the run goes on. */
  protocol_error: { error: AgentProtocolError; line: string };
}

export type AgentRuntimeEvent = {
  [K in AgentRuntimeEventKind]: { kind: K; at: number; data: AgentRuntimeEventData[K] };
}[AgentRuntimeEventKind];

export type AgentRuntimeEventOf<K extends AgentRuntimeEventKind> = Extract<AgentRuntimeEvent, { kind: K }>;

export function runtimeEvent<K extends AgentRuntimeEventKind>(kind: K, data: AgentRuntimeEventData[K], at: number = Date.now()): AgentRuntimeEventOf<K> {
  return { kind, at, data } as AgentRuntimeEventOf<K>;
}

export function emptyUsage(): AgentUsage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
}

/** Sums two usages; an optional field stays absent only when absent on both sides. */
export function addUsage(a: AgentUsage, b: AgentUsage): AgentUsage {
  const sum: AgentUsage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  for (const field of ['cacheRead', 'cacheWrite', 'costUsd'] as const) {
    if (a[field] !== undefined || b[field] !== undefined) sum[field] = (a[field] ?? 0) + (b[field] ?? 0);
  }
  return sum;
}

/** Builds a usage from its parts, computing `totalTokens` and leaving out absent fields. */
export function makeUsage(parts: { input: number; output: number; cacheRead?: number; cacheWrite?: number; costUsd?: number }): AgentUsage {
  const usage: AgentUsage = {
    inputTokens: parts.input,
    outputTokens: parts.output,
    totalTokens: parts.input + parts.output + (parts.cacheRead ?? 0) + (parts.cacheWrite ?? 0),
  };
  if (parts.cacheRead !== undefined) usage.cacheRead = parts.cacheRead;
  if (parts.cacheWrite !== undefined) usage.cacheWrite = parts.cacheWrite;
  if (parts.costUsd !== undefined) usage.costUsd = parts.costUsd;
  return usage;
}

/**
 * The next `agent.end` of `runtime` (matching `where`). Subscribe before causing it: call this,
 * then `prompt`, then await. Rejects with `agent.timeout` after `timeoutMs`, and with
 * `agent.process_exited` if the runtime finishes first.
 */
export function waitForAgentEnd(
  runtime: Pick<AgentRuntime, 'onEvent' | 'exited' | 'name'>,
  options: { timeoutMs: number; where?: (event: AgentRuntimeEventOf<'agent.end'>) => boolean },
): Promise<AgentRuntimeEventOf<'agent.end'>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new AgentTimeoutError(`no agent.end from ${runtime.name} within ${options.timeoutMs} ms`, { operation: 'wait:agent.end', timeoutMs: options.timeoutMs }))),
      options.timeoutMs,
    );
    const unsubscribe = runtime.onEvent((event) => {
      if (event.kind !== 'agent.end' || (options.where && !options.where(event))) return;
      finish(() => resolve(event));
    });
    void runtime.exited.then((exit) =>
      finish(() => reject(new AgentProcessExitedError(`${runtime.name} finished while waiting for agent.end`, { ...exit, waitingFor: 'agent.end' }))),
    );
  });
}
