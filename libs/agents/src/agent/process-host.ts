import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { availableParallelism, totalmem } from 'node:os';
import type { EventLog } from '@godel/persistence';
import { captureContext, runInContext, SpanKind, SpanStatusCode, startSpan, type Context, type Span } from '@godel/observability';
import { Sandbox } from '@godel/sandbox';
import { GUARD_EXTENSION_FILE, guardDenialFromEvent, withPathGuard } from '../guard';
import { agentEnv, agentLauncher } from './agent-sandbox';
import type { Launcher } from '../runtime/launcher';
import { CommandRuntime } from '../command/command-runtime';
import type { CommandDialect } from '../command/command-args';
import { writeModelsJson, writeSettingsJson } from '../pi/agent-dir';
import { AgentProcessExitedError } from '../pi/errors';
import type { AgentRuntime, AgentRuntimeEvent } from '../runtime/agent-runtime';
import { PiRuntime } from '../runtime/pi-runtime';
import { cut, textOf } from '../runtime/text';
import { PiRpcProcess } from '../pi/pi-rpc-process';
import type { PiEvent } from '../pi/pi-protocol';
import type { ProviderRef } from './provider-chain';
import { Admission, defaultMaxAgents, defaultStartConcurrency, type AdmissionStats } from './admission';

export interface AgentHostDeps {
  /** Sends a message to an actor (the runtime's tell). */
  tell(to: string, type: string, payload: unknown): Promise<void>;
  events: EventLog;
  /** Per-agent folders (pi agent dir, session files) live under it. */
  rootDir: string;
  piBin: string;
  /**
   * Where an agent's environment comes from: PATH and locale, and the provider keys its chain names
   * (by name). Nothing else is passed; HOME is the agent's own scratch folder.
   */
  baseEnv: Record<string, string>;
  /** The OS sandbox every agent process runs in. Default: bubblewrap (fails closed without it). */
  sandbox?: Sandbox;
  /** Folders emptied inside the sandbox even below a readable folder (Godel's home). */
  hiddenDirs?: string[];
  /** Deadline of control commands to a process (a wedged process must not hang the actor). */
  commandTimeoutMs?: number;
  /** Deadline for a started process to answer its first get_state (counted from its spawn, after admission). */
  readyTimeoutMs?: number;
  /**
   * Admission control (GODEL_AGENT_START_CONCURRENCY, GODEL_MAX_AGENTS): starts beyond these wait
   * in a queue. Default: one start per core, agents by total memory (~180 MB each, 1 GiB headroom).
   */
  admission?: { startConcurrency?: number; maxAgents?: number };
}

/**
 * A turn's spending limit, as session totals (comparable with `stats`): the agent's own budget and
 * what is left of its team's. `used` is the session's total when the turn started.
 */
export interface TurnLimit {
  used: { total: number; costUsd: number };
  tokens?: number;
  costUsd?: number;
  scope: { tokens?: 'agent' | 'team'; costUsd?: 'agent' | 'team' };
}

/** What the mid-turn guard saw when it stopped a turn over its limit. */
export interface LimitHit {
  scope: 'agent' | 'team';
  /** Session totals when the limit was crossed, from the streamed usage of each model response. */
  total: number;
  costUsd: number;
  /** Tokens of the response that crossed the limit (the most a turn can overshoot by). */
  lastResponseTokens: number;
  limitTokens?: number;
  limitCostUsd?: number;
}

interface Running {
  /** The current turn's limit and what its responses used so far (mid-turn budget enforcement). */
  limit?: TurnLimit;
  turnUsage?: { total: number; costUsd: number };
  limitHit?: LimitHit;
  /** Every runtime through one interface; `pi` is kept for what only pi has (session file, history, guard). */
  runtime: AgentRuntime;
  pi?: PiRpcProcess;
  stopping: boolean;
  team: string;
  correlationId?: string;
  /** Trace context of the turn that last prompted the process: its tool calls and turn end belong there. */
  trace?: Context;
  tools?: Map<string, Span>;
}

/** Which coding-agent CLI an agent runs: pi (default) or a CLI streaming JSON lines. */
export type RuntimeSpec = { kind: 'pi' } | { kind: 'command'; dialect: CommandDialect; command?: string; extraArgs?: string[] };

export interface SpawnSpec {
  cwd: string;
  runtime?: RuntimeSpec;
  team: string;
  providers: ProviderRef[];
  providerIndex: number;
  /** Folders outside the worktree the agent may read (e.g. the shared node_modules). */
  readRoots?: string[];
  /** pi's tool allow-list (`--tools`); read-only roles get read-only tools. Default: pi's own. */
  tools?: string[];
  /** Resume this session (a file name under the agent's session dir, content given). */
  session?: { fileName: string; content: string };
  correlationId?: string;
}

const RECORDED: Record<string, string> = {
  agent_start: 'agent.turn_started',
  turn_start: 'agent.step_started',
  turn_end: 'agent.step_ended',
  tool_execution_start: 'agent.tool_started',
  tool_execution_end: 'agent.tool_ended',
  message_end: 'agent.message',
  auto_retry_start: 'agent.retry',
  protocol_error: 'agent.protocol_error',
};

/**
 * The coding-agent processes of the agents this instance hosts. Instance-local (a process is a
 * local resource); the agent actor's durable state says what should run, and the actor asks the
 * host to make it so. Process facts flow back to the actor as messages (`agent.turn_end`,
 * `agent.exited`) and into the event log.
 */
export class AgentProcessHost {
  private readonly running = new Map<string, Running>();
  private readonly sandbox: Sandbox;
  private readonly admission: Admission;
  /** Queued starts admitted later: their owner (team, correlation) for events. */
  private readonly waiting = new Map<string, { team: string; correlationId?: string }>();

  constructor(private readonly deps: AgentHostDeps) {
    this.sandbox = deps.sandbox ?? new Sandbox();
    this.admission = new Admission({
      startConcurrency: deps.admission?.startConcurrency ?? defaultStartConcurrency(availableParallelism()),
      maxAgents: deps.admission?.maxAgents ?? defaultMaxAgents(totalmem()),
      onPosition: (agent, position, queued) => {
        const w = this.waiting.get(agent);
        void this.deps.events.append({ type: 'agent.queued', agent, team: w?.team, correlationId: w?.correlationId, data: { position, queued } }).catch(() => undefined);
      },
    });
  }

  /** This instance's capacity: max agents, live, starting, queued (for placement and metrics). */
  capacity(): AdmissionStats {
    return this.admission.stats();
  }

  /**
   * Asks for a start slot without blocking the caller: `admitted` when one is free now (the next
   * `spawn` uses it), else the start waits in line (`agent.queued` events with its position) and
   * the agent is told `agent.admitted` when its turn comes.
   */
  admit(agent: string, owner: { team: string; correlationId?: string }): { admitted: true } | { admitted: false; position: number } {
    if (this.has(agent) || this.admission.tryAcquire(agent)) return { admitted: true };
    this.waiting.set(agent, owner);
    const granted = this.admission.acquire(agent);
    void granted.then(() => {
      if (this.waiting.get(agent) !== owner) return;
      this.waiting.delete(agent);
      void this.deps.tell(agent, 'agent.admitted', {}).catch(() => this.admission.release(agent));
    });
    return { admitted: false, position: this.admission.position(agent) ?? 1 };
  }

  /** The agent's place in the start queue (1 = next), undefined when it does not wait. */
  queuePosition(agent: string): number | undefined {
    return this.admission.position(agent);
  }

  /** Whether the agent waits for a start slot or holds one it has not used yet. */
  pending(agent: string): boolean {
    return this.admission.position(agent) !== undefined || this.admission.holds(agent);
  }

  /** Rejects with `sandbox.unavailable` when agents cannot be sandboxed here (checked at server start). */
  checkSandbox(): Promise<void> {
    return this.sandbox.check();
  }

  /** The launcher of one agent's processes: its sandbox, its providers' endpoints, its folders. */
  private launcher(agent: string, spec: SpawnSpec, programs: string[]): Launcher {
    const agentRoot = dirname(this.dirs(agent).agentDir);
    const record = (type: string, data: Record<string, unknown>) =>
      void this.deps.events.append({ type, agent, team: spec.team, correlationId: spec.correlationId, data }).catch(() => undefined);
    if (this.sandbox.mode === 'off') record('sandbox.disabled', { warning: 'GODEL_SANDBOX=off: this agent runs without the OS sandbox (development only)' });
    return agentLauncher({
      sandbox: this.sandbox,
      worktree: spec.cwd,
      agentRoot,
      programs,
      readRoots: spec.readRoots,
      hidden: this.deps.hiddenDirs,
      providers: spec.providers,
      onEgressDenied: (target) => record('sandbox.egress_denied', { target }),
    });
  }

  private env(agent: string, spec: SpawnSpec): Record<string, string> {
    return agentEnv(this.deps.baseEnv, spec.providers, join(dirname(this.dirs(agent).agentDir), 'home'));
  }

  has(agent: string): boolean {
    const r = this.running.get(agent);
    return !!r && (r.pi ? r.pi.running : true);
  }

  /** The pi process of a pi agent (its pid, for operators and tests). */
  get(agent: string): PiRpcProcess | undefined {
    return this.running.get(agent)?.pi;
  }

  private req(agent: string): Running {
    const r = this.running.get(agent);
    if (!r) throw new AgentProcessExitedError(`agent ${agent} has no running process on this instance`);
    return r;
  }

  prompt(agent: string, text: string): Promise<void> {
    const r = this.req(agent);
    r.trace = captureContext();
    return r.runtime.prompt(text);
  }

  steer(agent: string, text: string): Promise<void> {
    const r = this.req(agent);
    r.trace = captureContext();
    return r.runtime.steer(text);
  }

  abort(agent: string): Promise<void> {
    return this.req(agent).runtime.abort();
  }

  /**
   * Enforces a budget during the next turn: after each model response the streamed usage is added
   * up, and the turn is aborted as soon as the limit is reached — so a turn overshoots by at most
   * the one response that crossed it. The turn then ends with `budgetExceeded` in `agent.turn_end`.
   */
  limitTurn(agent: string, limit: TurnLimit | undefined): void {
    const r = this.running.get(agent);
    if (!r) return;
    r.limit = limit;
    r.turnUsage = { total: 0, costUsd: 0 };
    r.limitHit = undefined;
  }

  setModel(agent: string, provider: string, model: string): Promise<void> {
    return this.req(agent).runtime.setModel(provider, model);
  }

  /** Tokens and cost of the agent's conversation, from the runtime's own accounting. */
  async stats(agent: string): Promise<{ input: number; output: number; total: number; costUsd: number }> {
    const u = await this.req(agent).runtime.getStats({ deadlineMs: this.deps.commandTimeoutMs ?? 10000 });
    return { input: u.inputTokens, output: u.outputTokens, total: u.totalTokens, costUsd: u.costUsd ?? 0 };
  }

  /** Whether the conversation already holds a user prompt (a resumed session does). */
  async hasConversation(agent: string): Promise<boolean> {
    const r = this.req(agent);
    if (r.pi) return (await r.pi.getMessages()).some((m) => m.role === 'user');
    return !!(await r.runtime.getState()).sessionId;
  }

  dirs(agent: string): { agentDir: string; sessionDir: string } {
    const safe = agent.replace(/[^A-Za-z0-9._-]/g, '_');
    return { agentDir: join(this.deps.rootDir, safe, 'pi'), sessionDir: join(this.deps.rootDir, safe, 'sessions') };
  }

  /** Starts the agent's process (idempotent: a live one is kept). Resolves once it answers get_state. */
  async spawn(agent: string, spec: SpawnSpec): Promise<void> {
    if (this.has(agent)) return;
    if (spec.runtime?.kind === 'command') {
      // One process per prompt: nothing long-lived to admit.
      this.admission.release(agent);
      return this.spawnCommand(agent, spec, spec.runtime);
    }
    try {
      await this.spawnPi(agent, spec);
    } catch (err) {
      // A start that failed (before or at its spawn) gives its slot back.
      this.admission.release(agent);
      throw err;
    }
  }

  private async spawnPi(agent: string, spec: SpawnSpec): Promise<void> {
    const { agentDir, sessionDir } = this.dirs(agent);
    await mkdir(sessionDir, { recursive: true });
    for (const p of spec.providers) {
      if (p.baseUrl) {
        await writeModelsJson(agentDir, {
          providerName: p.provider,
          baseUrl: p.baseUrl,
          api: p.api ?? 'openai-completions',
          apiKey: p.apiKey ?? 'sk-none',
          compat: { supportsDeveloperRole: false, supportsReasoningEffort: false },
          models: [{ id: p.model, name: p.label ?? p.model, input: ['text'], contextWindow: 32000, maxTokens: 4096, cost: p.cost ? { input: p.cost.input, output: p.cost.output, cacheRead: 0, cacheWrite: 0 } : undefined }],
        });
      }
    }
    // Failures must reach Godel (provider failover), not be retried silently inside pi.
    await writeSettingsJson(agentDir, { retry: { enabled: false, provider: { maxRetries: 0 } } });
    const extraArgs: string[] = [];
    if (spec.session) {
      const file = join(sessionDir, basename(spec.session.fileName));
      // A local file newer than the stored copy (same instance, turn not finished) wins.
      const local = await stat(file).catch(() => undefined);
      if (!local || local.size < Buffer.byteLength(spec.session.content)) await writeFile(file, withCwd(spec.session.content, spec.cwd));
      extraArgs.push('--session', file);
    } else {
      const latest = await latestSessionFile(sessionDir);
      if (latest) extraArgs.push('--session', latest);
    }
    const provider = spec.providers[spec.providerIndex];
    // Tools stay inside the worktree: pi's tool_call hook (libs/agents/src/guard), denials logged
    // outside the worktree and streamed as events.
    const launch = withPathGuard(
      {
        cwd: spec.cwd,
        agentDir,
        sessionDir,
        provider: provider.provider,
        model: provider.model,
        baseEnv: this.env(agent, spec),
        piBin: this.deps.piBin,
        extraArgs,
        tools: spec.tools,
      },
      { logFile: join(dirname(agentDir), 'guard.log'), readRoots: spec.readRoots },
    );
    // Admission: wait for a start slot here (the readiness deadline below starts at the spawn).
    if (!this.admission.holds(agent)) await this.admission.acquire(agent);
    const pi = await PiRpcProcess.start({
      ...launch,
      launcher: this.launcher(agent, spec, [GUARD_EXTENSION_FILE]),
      requestTimeoutMs: this.deps.commandTimeoutMs ?? 10000,
      readyTimeoutMs: this.deps.readyTimeoutMs,
    });
    this.admission.started(agent);
    const entry: Running = { runtime: new PiRuntime(pi), pi, stopping: false, team: spec.team, correlationId: spec.correlationId };
    this.running.set(agent, entry);
    pi.onEvent((e) => this.onEvent(agent, entry, e));
    void pi.exited.then((exit) => {
      if (this.running.get(agent) === entry) {
        this.running.delete(agent);
        this.admission.exited(agent);
      }
      if (entry.stopping) return;
      void this.deps.tell(agent, 'agent.exited', { pid: pi.pid, code: exit.code, signal: exit.signal }).catch(() => undefined);
    });
  }

  /**
   * A CLI that runs one process per prompt (Claude Code, Codex...): its conversation continues
   * through the CLI's own resume id, which is what the agent stores as its "session". The path
   * guard is pi's; the OS sandbox is the same for every CLI.
   */
  private async spawnCommand(agent: string, spec: SpawnSpec, rt: Extract<RuntimeSpec, { kind: 'command' }>): Promise<void> {
    const provider = spec.providers[spec.providerIndex];
    const runtime = new CommandRuntime({
      dialect: rt.dialect,
      command: rt.command,
      extraArgs: rt.extraArgs,
      cwd: spec.cwd,
      baseEnv: this.env(agent, spec),
      launcher: this.launcher(agent, spec, []),
      resume: true,
      sessionId: spec.session?.content || undefined,
      provider: provider?.provider,
      model: provider?.model,
    });
    await runtime.start();
    const entry: Running = { runtime, stopping: false, team: spec.team, correlationId: spec.correlationId };
    this.running.set(agent, entry);
    runtime.onEvent((e) => this.onRuntimeEvent(agent, entry, e));
  }

  async stop(agent: string): Promise<void> {
    const r = this.running.get(agent);
    if (!r) {
      // A start still waiting in line (or admitted, not spawned) gives its place up.
      this.waiting.delete(agent);
      this.admission.release(agent);
      return;
    }
    r.stopping = true;
    this.running.delete(agent);
    if (r.pi) this.admission.exited(agent);
    if (r.pi) await r.pi.stop({ graceMs: 1000 });
    else await r.runtime.stop({ graceMs: 1000 });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((a) => this.stop(a)));
  }

  /** The process's session file (name and content), for durable storage. */
  async snapshotSession(agent: string): Promise<{ fileName: string; content: string } | undefined> {
    const r = this.running.get(agent);
    if (!r) return undefined;
    if (!r.pi) {
      const id = (await r.runtime.getState()).sessionId;
      return id ? { fileName: 'resume-id', content: id } : undefined;
    }
    const pi = r.pi;
    const state = await pi.getState({ timeoutMs: this.deps.commandTimeoutMs ?? 10000 });
    if (!state.sessionFile) return undefined;
    return { fileName: basename(state.sessionFile), content: await readFile(state.sessionFile, 'utf8') };
  }

  /** A tool call is a span under the turn that prompted the agent (ended by its end event). */
  private traceTool(agent: string, r: Running, phase: 'start' | 'end', id: string, name: string, isError = false): void {
    if (!r.trace) return;
    r.tools ??= new Map();
    if (phase === 'start') {
      const { span } = startSpan(`tool ${name}`, { kind: SpanKind.INTERNAL, parent: r.trace, attributes: { 'godel.agent': agent, 'godel.tool': name, 'godel.tool_call_id': id } });
      r.tools.set(id, span);
      return;
    }
    const span = r.tools.get(id);
    if (!span) return;
    r.tools.delete(id);
    if (isError) span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool reported an error' });
    span.end();
  }

  /** Turn ends go back to the actor inside the prompting turn's trace. */
  private tellInTrace(r: Running, agent: string, type: string, payload: unknown): Promise<void> {
    return r.trace ? runInContext(r.trace, () => this.deps.tell(agent, type, payload)) : this.deps.tell(agent, type, payload);
  }

  private onRuntimeEvent(agent: string, r: Running, e: AgentRuntimeEvent): void {
    if (e.kind === 'tool.start') this.traceTool(agent, r, 'start', e.data.toolCallId, e.data.name);
    if (e.kind === 'tool.end') this.traceTool(agent, r, 'end', e.data.toolCallId, e.data.name, e.data.isError);
    const type = RUNTIME_RECORDED[e.kind];
    if (type) void this.deps.events.append({ type, agent, team: r.team, correlationId: r.correlationId, data: summarizeRuntime(e) }).catch(() => undefined);
    if (e.kind === 'agent.end') {
      const payload = { stopReason: e.data.ok ? 'stop' : 'error', errorMessage: e.data.ok ? undefined : `${e.data.reason}: ${e.data.detail ?? ''}`, text: e.data.text };
      void this.tellInTrace(r, agent, 'agent.turn_end', payload).catch(() => undefined);
    }
  }

  private onEvent(agent: string, r: Running, e: PiEvent): void {
    const denial = guardDenialFromEvent(e);
    if (denial) {
      void this.deps.events.append({ type: 'guard.denied', agent, team: r.team, correlationId: r.correlationId, data: { ...denial } }).catch(() => undefined);
      return;
    }
    if (e.type === 'tool_execution_start') this.traceTool(agent, r, 'start', e.toolCallId, e.toolName);
    if (e.type === 'tool_execution_end') this.traceTool(agent, r, 'end', e.toolCallId, e.toolName, e.isError);
    const type = RECORDED[e.type];
    if (type) void this.deps.events.append({ type, agent, team: r.team, correlationId: r.correlationId, data: summarize(e) }).catch(() => undefined);
    if (e.type === 'message_end' && e.message.role === 'assistant' && e.message.usage) this.countUsage(agent, r, e.message.usage);
    if (e.type === 'agent_end') {
      const last = [...e.messages].reverse().find((m) => m.role === 'assistant');
      const payload = { stopReason: last?.stopReason ?? 'stop', errorMessage: last?.errorMessage, text: last ? cut(textOf(last.content), 64 * 1024) : undefined, budgetExceeded: r.limitHit };
      r.limit = undefined;
      void this.tellInTrace(r, agent, 'agent.turn_end', payload).catch(() => undefined);
    }
  }

  /** Adds one response's usage to the turn's; past the limit the turn is aborted (see limitTurn). */
  private countUsage(agent: string, r: Running, u: { totalTokens?: number; input?: number; output?: number; cacheRead?: number; cacheWrite?: number; cost?: { total?: number } }): void {
    const l = r.limit;
    if (!l || r.limitHit) return;
    const tokens = u.totalTokens || (u.input ?? 0) + (u.output ?? 0) + (u.cacheRead ?? 0) + (u.cacheWrite ?? 0);
    r.turnUsage = { total: (r.turnUsage?.total ?? 0) + tokens, costUsd: (r.turnUsage?.costUsd ?? 0) + (u.cost?.total ?? 0) };
    const total = l.used.total + r.turnUsage.total;
    const costUsd = l.used.costUsd + r.turnUsage.costUsd;
    const overTokens = l.tokens !== undefined && total >= l.tokens;
    const overCost = l.costUsd !== undefined && costUsd >= l.costUsd;
    if (!overTokens && !overCost) return;
    r.limitHit = { scope: (overTokens ? l.scope.tokens : l.scope.costUsd) ?? 'agent', total, costUsd, lastResponseTokens: tokens, limitTokens: l.tokens, limitCostUsd: l.costUsd };
    // No further model call: the turn ends now (its agent_end carries the hit).
    void r.runtime.abort().catch(() => undefined);
  }
}

/** Command runtimes: normalized events into the log, the run's end back to the actor. */
const RUNTIME_RECORDED: Partial<Record<AgentRuntimeEvent['kind'], string>> = {
  'turn.start': 'agent.step_started',
  'turn.end': 'agent.step_ended',
  'tool.start': 'agent.tool_started',
  'tool.end': 'agent.tool_ended',
  message: 'agent.message',
  error: 'agent.error',
  protocol_error: 'agent.protocol_error',
};

function summarizeRuntime(e: AgentRuntimeEvent): Record<string, unknown> {
  switch (e.kind) {
    case 'tool.start':
      return { tool: e.data.name, args: e.data.args };
    case 'tool.end':
      return { tool: e.data.name, isError: e.data.isError };
    case 'message':
      return { role: e.data.role, text: e.data.text.slice(0, 2000) };
    case 'error':
      return { error: e.data.message };
    case 'protocol_error':
      return { line: e.data.line.slice(0, 500) };
    default:
      return {};
  }
}

function summarize(e: PiEvent): Record<string, unknown> {
  switch (e.type) {
    case 'tool_execution_start':
      return { tool: e.toolName, args: e.args };
    case 'tool_execution_end':
      return { tool: e.toolName, isError: e.isError };
    case 'message_end': {
      const m = e.message;
      const text = Array.isArray(m.content)
        ? m.content
            .filter((c): c is { type: 'text'; text: string } => (c as { type?: string }).type === 'text')
            .map((c) => c.text)
            .join('')
        : typeof m.content === 'string'
          ? m.content
          : '';
      return { role: m.role, stopReason: m.stopReason, error: m.errorMessage, text: text.slice(0, 2000), usage: m.usage };
    }
    case 'protocol_error':
      return { line: String((e as { line?: string }).line ?? '').slice(0, 500) };
    default:
      return {};
  }
}

/** The most recently written session file in a folder (pi names them <time>_<uuid>.jsonl). */
async function latestSessionFile(dir: string): Promise<string | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.jsonl'));
  let best: { path: string; mtime: number } | undefined;
  for (const f of files) {
    const path = join(dir, f);
    const st = await stat(path);
    if (!best || st.mtimeMs > best.mtime) best = { path, mtime: st.mtimeMs };
  }
  return best?.path;
}

/**
 * A session's header records the folder it ran in, and pi works there when it resumes: a session
 * resumed in another worktree (a fork) must point at that worktree.
 */
function withCwd(content: string, cwd: string): string {
  const nl = content.indexOf('\n');
  const first = nl < 0 ? content : content.slice(0, nl);
  try {
    const header = JSON.parse(first) as { type?: string; cwd?: string };
    if (header.type !== 'session') return content;
    return JSON.stringify({ ...header, cwd }) + (nl < 0 ? '' : content.slice(nl));
  } catch {
    return content;
  }
}
