import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UnknownMessageError, type ActorContext, type ActorDefinition, type Message } from '@godel/actors';
import type { EventLog, SessionStore } from '@godel/persistence';
import { WorktreeManager } from '@godel/workspace';
import { initialAgentState, toolsFor, type AgentState, type AgentUpdate, type StartAgent } from './agent-state';
import type { AgentProcessHost, LimitHit, TurnLimit } from './process-host';
import { chainFor, isProviderFailure } from './provider-chain';
import { cutSession } from './session-cut';
import { AgentStateError } from './agent-errors';

export interface AgentActorDeps {
  host: AgentProcessHost;
  events: EventLog;
  sessions: SessionStore;
  /** Worktrees go to <worktreesRoot>/<team>/<agent> (the manager nests by team). */
  worktreesRoot: string;
  /**
   * GODEL_KEEP_FAILED_WORKTREES: a failed agent's worktree stays (marked `failed`, which the janitor
   * keeps) for inspection instead of being removed. Default true.
   */
  keepFailedWorktrees?: boolean;
  /** Restart intensity of a crashing process before the agent fails (OTP-style). */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** Liveness check that also resumes agents whose actor moved to another instance. */
  heartbeatMs?: number;
  /**
   * Providers as this instance reaches them, at each process start. An instance-local provider (the
   * offline scripted model runs inside each server) gets this instance's address, so an agent that
   * moved after a failover does not call the dead instance's port.
   */
  localizeProviders?: (providers: AgentState['providers']) => AgentState['providers'];
  /** Usage of the team's other agents (committed state), for team budgets. */
  teamUsage?: (team: string, exclude: string) => Promise<{ total: number; costUsd: number }>;
}

const ACTIVE = new Set(['starting', 'running', 'idle']);
const RESUME_PROMPT = 'Your previous process stopped unexpectedly. Continue the task from where you left off.';

/** Agent addresses are `agent/<team>:<name>`: the team is the affinity key, so a team lives on one instance. */
export function agentAddress(team: string, name: string): string {
  return `agent/${team}:${name}`;
}

/**
 * The agent actor: owns one coding-agent process in its own worktree. Its durable state says what
 * should be running; the process host on the current instance makes it so, and reports turn ends
 * and exits back as messages. A crashed process is restarted on its stored session; an actor that
 * moved to another instance resumes the same session there.
 */
export function agentActor(deps: AgentActorDeps): ActorDefinition<AgentState> {
  const heartbeatMs = deps.heartbeatMs ?? 5000;

  async function record(s: AgentState, ctx: ActorContext, type: string, data: Record<string, unknown> = {}): Promise<void> {
    await deps.events.append({ type, agent: ctx.selfAddress, team: s.team, correlationId: s.correlationId, data: { status: s.status, ...data } });
  }

  /** Tells the owner (a team) what happened; sent after the turn commits, like every tell. */
  function notify(s: AgentState, ctx: ActorContext, event: AgentUpdate['event'], extra: Partial<AgentUpdate> = {}): void {
    if (!s.owner) return;
    s.updates = (s.updates ?? 0) + 1;
    const update: AgentUpdate = { name: s.name, event, status: s.status, reason: s.reason, worktree: s.worktree, branch: s.branch, usage: s.usage, restarts: s.restarts.length, seq: s.updates, ...extra };
    ctx.tell(s.owner, 'team.agent_update', update);
  }

  async function saveSession(s: AgentState, ctx: ActorContext): Promise<void> {
    const snap = await deps.host.snapshotSession(ctx.selfAddress);
    if (!snap) return;
    s.sessionFile = snap.fileName;
    await deps.sessions.save({
      agent: ctx.selfAddress,
      team: s.team,
      fileName: snap.fileName,
      content: snap.content,
      parentAgent: s.parent?.agent ?? null,
      forkedFromEntry: s.parent?.entry ?? null,
      baseCommit: s.baseCommit ?? null,
    });
  }

  /** Starts the process, on the stored session when there is one. */
  async function spawn(s: AgentState, ctx: ActorContext): Promise<void> {
    const stored = await deps.sessions.load(ctx.selfAddress);
    await deps.host.spawn(ctx.selfAddress, {
      cwd: s.worktree!,
      runtime: s.runtime,
      team: s.team,
      providers: deps.localizeProviders ? deps.localizeProviders(s.providers) : s.providers,
      providerIndex: s.providerIndex,
      session: stored ? { fileName: stored.fileName, content: stored.content } : undefined,
      correlationId: s.correlationId,
      tools: s.tools ?? toolsFor(s.role),
      readRoots: s.repo ? ['node_modules', '.venv', 'vendor'].map((d) => join(s.repo!, d)).filter((d) => existsSync(d)) : [],
    });
  }

  async function fail(s: AgentState, ctx: ActorContext, reason: string, cleanup: boolean): Promise<AgentState> {
    await deps.host.stop(ctx.selfAddress).catch(() => undefined);
    if (s.worktree && s.repo) {
      const wm = new WorktreeManager({ repoPath: s.repo, worktreesRoot: deps.worktreesRoot });
      if (cleanup && deps.keepFailedWorktrees === false) {
        await wm.remove(s.worktree, { force: true, deleteBranch: true }).catch(() => undefined);
        s.worktree = undefined;
      } else {
        // Kept for inspection: marked failed, so the janitor's keepFailed policy leaves it alone.
        await wm.setStatus(s.worktree, 'failed').catch(() => undefined);
      }
    }
    s.status = 'failed';
    s.reason = reason;
    await record(s, ctx, 'agent.failed', { reason });
    notify(s, ctx, 'failed');
    return s;
  }

  /** Removes the agent's worktree and its branch (its team ended; merged work is on the target). */
  async function removeWorktree(s: AgentState, ctx: ActorContext): Promise<void> {
    const worktree = s.worktree;
    const branch = s.branch;
    if (worktree && s.repo) {
      await new WorktreeManager({ repoPath: s.repo, worktreesRoot: deps.worktreesRoot })
        .remove(worktree, { force: true, deleteBranch: true })
        .catch((err: unknown) => record(s, ctx, 'agent.cleanup_failed', { worktree, error: (err as Error).message }));
      s.worktree = undefined;
      await record(s, ctx, 'agent.worktree_removed', { worktree, branch });
    }
    notify(s, ctx, 'cleaned_up', { worktree, branch });
  }

  async function start(s: AgentState, p: StartAgent, ctx: ActorContext): Promise<AgentState> {
    if (s.status !== 'new') return s;
    s.status = 'preparing';
    s.repo = p.repo;
    s.role = p.role ?? 'worker';
    s.runtime = p.runtime ?? { kind: 'pi' };
    s.tools = toolsFor(s.role, p.tools);
    s.providers = chainFor(p.providers, p.tier);
    s.budget = p.budget ?? {};
    s.teamBudget = p.teamBudget;
    s.correlationId = p.correlationId ?? ctx.envelope.correlationId;
    s.owner = p.owner;
    const t0 = Date.now();
    await record(s, ctx, 'agent.preparing', { repo: p.repo, providers: s.providers.map((x) => x.label ?? `${x.provider}/${x.model}`) });
    let created = false;
    try {
      let baseRef = p.baseRef ?? 'HEAD';
      if (p.forkOf) {
        const parent = await deps.sessions.load(p.forkOf.agent);
        if (!parent) throw new Error(`cannot fork ${p.forkOf.agent}: it has no stored session`);
        const cut = cutSession(parent.content, p.forkOf.entry);
        s.parent = { agent: p.forkOf.agent, entry: cut.entry };
        baseRef = parent.baseCommit ?? baseRef;
        await deps.sessions.save({ agent: ctx.selfAddress, team: s.team, fileName: `fork-${s.name}.jsonl`, content: cut.content, parentAgent: p.forkOf.agent, forkedFromEntry: cut.entry, baseCommit: parent.baseCommit });
      }
      const wm = new WorktreeManager({ repoPath: p.repo, worktreesRoot: deps.worktreesRoot, sharedDirs: ['node_modules', '.venv', 'vendor'] });
      // Idempotent: a retried turn finds the worktree its first attempt made.
      const existing = (await wm.list()).find((w) => w.team === s.team && w.agent === s.name && !w.folderMissing);
      const wt = existing ? { path: existing.path, branch: existing.branch ?? '', baseCommit: existing.metadata?.baseCommit ?? '' } : await wm.create({ team: s.team, agent: s.name, baseRef });
      created = !existing;
      s.worktree = wt.path;
      s.branch = wt.branch;
      s.baseCommit = wt.baseCommit || s.baseCommit;
      s.status = 'starting';
      // Admission control: when the instance cannot start another process now, the start waits in
      // line (committed as `queue`); the host tells `agent.admitted` when its turn comes.
      if (s.runtime.kind === 'pi') {
        const admission = deps.host.admit(ctx.selfAddress, { team: s.team, correlationId: s.correlationId });
        if (!admission.admitted) {
          s.queue = { position: admission.position, since: t0, prompt: p.prompt };
          ctx.scheduleReminder('heartbeat', heartbeatMs);
          return s;
        }
      }
    } catch (err) {
      return fail(s, ctx, `${(err as { code?: string }).code ?? 'agent.start_failed'}: ${(err as Error).message}`, created || !!s.worktree);
    }
    return launch(s, ctx, t0, p.prompt);
  }

  /** Spawns the process of a starting agent (its start slot taken), then its first prompt. */
  async function launch(s: AgentState, ctx: ActorContext, t0: number, first: string | undefined): Promise<AgentState> {
    const queuedMs = s.queue ? Date.now() - s.queue.since : undefined;
    s.queue = undefined;
    try {
      const t1 = Date.now();
      await spawn(s, ctx);
      s.status = 'idle';
      await record(s, ctx, 'agent.started', { worktree: s.worktree, branch: s.branch, baseCommit: s.baseCommit, spawnMs: Date.now() - t0, launchMs: Date.now() - t1, queuedMs });
    } catch (err) {
      return fail(s, ctx, `${(err as { code?: string }).code ?? 'agent.start_failed'}: ${(err as Error).message}`, !!s.worktree);
    }
    ctx.scheduleReminder('heartbeat', heartbeatMs);
    notify(s, ctx, 'started');
    if (first) return prompt(s, first, ctx);
    return s;
  }

  /** A queued start's turn came (or its admission was lost with an instance: it waits again in spawn). */
  async function admitted(s: AgentState, ctx: ActorContext): Promise<AgentState> {
    if (s.status !== 'starting' || !s.queue) {
      // Stopped (or started otherwise) meanwhile: the slot goes back.
      if (!deps.host.has(ctx.selfAddress)) await deps.host.stop(ctx.selfAddress);
      return s;
    }
    return launch(s, ctx, s.queue.since, s.queue.prompt);
  }

  /** The budget of the coming turn, as session totals: the agent's own and what is left of its team's. */
  async function turnLimit(s: AgentState, ctx: ActorContext): Promise<TurnLimit | undefined> {
    const limit: TurnLimit = { used: { total: s.usage.total, costUsd: s.usage.costUsd }, scope: {} };
    const tighter = (key: 'tokens' | 'costUsd', value: number | undefined, scope: 'agent' | 'team') => {
      if (value === undefined || (limit[key] !== undefined && limit[key]! <= value)) return;
      limit[key] = value;
      limit.scope[key] = scope;
    };
    tighter('tokens', s.budget.tokens, 'agent');
    tighter('costUsd', s.budget.costUsd, 'agent');
    if (s.teamBudget && deps.teamUsage) {
      const others = await deps.teamUsage(s.team, ctx.selfAddress);
      if (s.teamBudget.tokens !== undefined) tighter('tokens', s.teamBudget.tokens - others.total, 'team');
      if (s.teamBudget.costUsd !== undefined) tighter('costUsd', s.teamBudget.costUsd - others.costUsd, 'team');
    }
    return limit.tokens === undefined && limit.costUsd === undefined ? undefined : limit;
  }

  /** Prompts the process with the turn's budget armed (enforced from the streamed usage, mid-turn). */
  async function promptHost(s: AgentState, ctx: ActorContext, text: string): Promise<void> {
    deps.host.limitTurn(ctx.selfAddress, await turnLimit(s, ctx));
    await deps.host.prompt(ctx.selfAddress, text);
  }

  async function prompt(s: AgentState, text: string, ctx: ActorContext): Promise<AgentState> {
    if (!ACTIVE.has(s.status)) throw new AgentStateError(s.status, 'prompt');
    if (s.queue) {
      // Waiting for a start slot: the prompt runs once the process has started.
      if (s.queue.prompt) throw new AgentStateError(s.status, 'prompt (queued for a start slot with a prompt already)');
      s.queue.prompt = text;
      return s;
    }
    // One turn at a time: a second prompt would be refused by the runtime mid-turn (it was a 500).
    if (s.status === 'running') throw new AgentStateError(s.status, 'prompt (steer it, or prompt again when the turn has ended)');
    if (!deps.host.has(ctx.selfAddress)) await spawn(s, ctx);
    await promptHost(s, ctx, text);
    s.status = 'running';
    s.currentPrompt = text;
    await record(s, ctx, 'agent.prompted', { chars: text.length });
    return s;
  }

  async function turnEnd(s: AgentState, p: { stopReason: string; errorMessage?: string; text?: string; budgetExceeded?: LimitHit }, ctx: ActorContext): Promise<AgentState> {
    if (s.status !== 'running') return s;
    const live = deps.host.has(ctx.selfAddress);
    const before = s.usage;
    if (live) {
      s.usage = await deps.host.stats(ctx.selfAddress);
      await saveSession(s, ctx);
    }
    const hit = p.budgetExceeded;
    if (hit) {
      // Stopped mid-turn by the budget guard: the turn's work is not finished, so it is not reported
      // as a completed turn. The overshoot is at most the response that crossed the limit.
      await deps.host.stop(ctx.selfAddress);
      s.status = 'stopped';
      s.reason = 'budget.exceeded';
      const total = Math.max(s.usage.total, hit.total);
      const overshoot = { tokens: hit.limitTokens !== undefined ? Math.max(0, total - hit.limitTokens) : undefined, costUsd: hit.limitCostUsd !== undefined ? Math.max(0, Math.max(s.usage.costUsd, hit.costUsd) - hit.limitCostUsd) : undefined };
      let teamUsage: { total: number; costUsd: number } | undefined;
      if (s.teamBudget && deps.teamUsage) {
        const others = await deps.teamUsage(s.team, ctx.selfAddress);
        teamUsage = { total: others.total + s.usage.total, costUsd: others.costUsd + s.usage.costUsd };
      }
      await record(s, ctx, 'budget.exceeded', { scope: hit.scope, midTurn: true, usage: s.usage, budget: s.budget, teamUsage, teamBudget: s.teamBudget, limit: { tokens: hit.limitTokens, costUsd: hit.limitCostUsd }, overshoot, lastResponseTokens: hit.lastResponseTokens });
      notify(s, ctx, 'stopped', { text: p.text, reason: `budget.exceeded (${hit.scope})` });
      return s;
    }
    if (p.stopReason === 'error') {
      const cause = p.errorMessage ?? 'unknown error';
      if (isProviderFailure(cause) && s.providerIndex + 1 < s.providers.length && live) {
        const from = s.providers[s.providerIndex];
        s.providerIndex += 1;
        const to = s.providers[s.providerIndex];
        await deps.host.setModel(ctx.selfAddress, to.provider, to.model);
        await record(s, ctx, 'provider.failover', { from: `${from.provider}/${from.model}`, to: `${to.provider}/${to.model}`, cause });
        await promptHost(s, ctx, s.currentPrompt ?? RESUME_PROMPT);
        return s;
      }
      return fail(s, ctx, `model error: ${cause}`, false);
    }
    s.status = 'idle';
    s.currentPrompt = undefined;
    // provider and usageDelta feed the tokens/cost metrics (counted once, wherever the agent runs).
    const usageDelta = { tokens: Math.max(0, s.usage.total - (before?.total ?? 0)), costUsd: Math.max(0, s.usage.costUsd - (before?.costUsd ?? 0)) };
    await record(s, ctx, 'agent.turn_completed', { usage: s.usage, provider: s.providers[s.providerIndex]?.provider, usageDelta });
    const overTokens = s.budget.tokens !== undefined && s.usage.total >= s.budget.tokens;
    const overCost = s.budget.costUsd !== undefined && s.usage.costUsd >= s.budget.costUsd;
    let scope: 'agent' | 'team' | undefined = overTokens || overCost ? 'agent' : undefined;
    let team: { total: number; costUsd: number } | undefined;
    if (!scope && s.teamBudget && deps.teamUsage) {
      const others = await deps.teamUsage(s.team, ctx.selfAddress);
      team = { total: others.total + s.usage.total, costUsd: others.costUsd + s.usage.costUsd };
      if ((s.teamBudget.tokens !== undefined && team.total >= s.teamBudget.tokens) || (s.teamBudget.costUsd !== undefined && team.costUsd >= s.teamBudget.costUsd)) scope = 'team';
    }
    if (scope) {
      await deps.host.stop(ctx.selfAddress);
      s.status = 'stopped';
      s.reason = 'budget.exceeded';
      await record(s, ctx, 'budget.exceeded', { scope, usage: s.usage, budget: s.budget, teamUsage: team, teamBudget: s.teamBudget });
      notify(s, ctx, 'stopped', { text: p.text, reason: `budget.exceeded (${scope})` });
      return s;
    }
    notify(s, ctx, 'turn_completed', { text: p.text });
    return s;
  }

  async function exited(s: AgentState, p: { code: number | null; signal: string | null }, ctx: ActorContext): Promise<AgentState> {
    if (!ACTIVE.has(s.status) || deps.host.has(ctx.selfAddress)) return s;
    await record(s, ctx, 'agent.exited', { code: p.code, signal: p.signal });
    const now = ctx.now();
    const windowMs = deps.restartWindowMs ?? 60000;
    s.restarts = s.restarts.filter((t) => now - t < windowMs);
    if (s.restarts.length >= (deps.maxRestarts ?? 3)) {
      return fail(s, ctx, `restart intensity exceeded: ${s.restarts.length} restarts in ${windowMs} ms (last exit ${p.signal ?? p.code})`, false);
    }
    s.restarts.push(now);
    const wasRunning = s.status === 'running';
    await spawn(s, ctx);
    await record(s, ctx, 'agent.restarted', { exit: p.signal ?? p.code, resumedSession: s.sessionFile ?? null, attempt: s.restarts.length });
    notify(s, ctx, 'restarted', { reason: `exit ${p.signal ?? p.code}` });
    if (wasRunning) {
      // The conversation resumes from the session; if the process died before it recorded the
      // prompt, the prompt itself is sent again.
      const hasPrompt = await deps.host.hasConversation(ctx.selfAddress);
      await promptHost(s, ctx, hasPrompt || !s.currentPrompt ? RESUME_PROMPT : s.currentPrompt);
    }
    return s;
  }

  return {
    kind: 'agent',
    initialState: (id) => {
      const [team, name] = id.key.includes(':') ? id.key.split(':', 2) : [id.key, id.key];
      return initialAgentState(team, name);
    },
    maxAttempts: 2,
    idleTimeoutMs: 3_600_000,
    async receive(s: AgentState, msg: Message, ctx: ActorContext): Promise<AgentState> {
      const p = (msg.payload ?? {}) as Record<string, unknown>;
      let next = s;
      switch (msg.type) {
        case 'agent.start':
          next = await start(s, p as unknown as StartAgent, ctx);
          break;
        case 'agent.prompt':
          next = await prompt(s, String(p.text ?? ''), ctx);
          break;
        case 'agent.steer':
          if (deps.host.has(ctx.selfAddress)) await deps.host.steer(ctx.selfAddress, String(p.text ?? ''));
          break;
        case 'agent.abort':
          if (deps.host.has(ctx.selfAddress)) await deps.host.abort(ctx.selfAddress);
          break;
        case 'agent.restart':
          // Monitor (stuck) or operator: the process goes, the session stays; counts toward the
          // restart intensity like a crash.
          if (!ACTIVE.has(s.status)) throw new AgentStateError(s.status, 'restart');
          await deps.host.stop(ctx.selfAddress);
          next = await exited(s, { code: null, signal: String(p.reason ?? 'restart requested') }, ctx);
          break;
        case 'agent.admitted':
          next = await admitted(s, ctx);
          break;
        case 'agent.stop':
          await deps.host.stop(ctx.selfAddress);
          s.queue = undefined;
          if (ACTIVE.has(s.status) || s.status === 'preparing' || s.status === 'new') {
            s.status = 'stopped';
            s.reason = String(p.reason ?? 'stopped by request');
            await record(s, ctx, 'agent.stopped', { reason: s.reason });
            if (!p.quiet) notify(s, ctx, 'stopped');
          }
          ctx.cancelReminder('heartbeat');
          if (p.cleanup) await removeWorktree(s, ctx);
          break;
        case 'agent.turn_end':
          next = await turnEnd(s, p as { stopReason: string; errorMessage?: string; text?: string }, ctx);
          break;
        case 'agent.exited':
          next = await exited(s, p as { code: number | null; signal: string | null }, ctx);
          break;
        case 'reminder':
          // Heartbeat: the process should run wherever this actor lives now (after a failover too).
          // A queued start that no instance remembers (it moved) starts now, waiting in line in spawn.
          if (s.queue) {
            if (!deps.host.pending(ctx.selfAddress)) next = await admitted(s, ctx);
          } else if (ACTIVE.has(s.status) && !deps.host.has(ctx.selfAddress)) next = await exited(s, { code: null, signal: 'not running here' }, ctx);
          if (ACTIVE.has(next.status)) ctx.scheduleReminder('heartbeat', heartbeatMs);
          break;
        case 'get':
          break;
        default:
          throw new UnknownMessageError('agent', msg.type);
      }
      // A queued start answers with its live position (it only shrinks).
      const position = next.queue ? deps.host.queuePosition(ctx.selfAddress) : undefined;
      ctx.reply(next.queue && position !== undefined ? { ...next, queue: { ...next.queue, position } } : next);
      return next;
    },
  };
}
