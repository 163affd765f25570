import type { StoredSession } from '@godel/persistence';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { toolsFor, type AgentState } from './agent-state';
import type { AgentTurn } from './agent-turn';
import type { AgentActorDeps } from './agent-deps';
import type { TurnLimit } from './process-host';
import { isUrlRepo, localWorktree } from './agent-repo';

/** How the agent's process is started: providers as this instance reaches them, tools, read-only roots. */
export function processSpec(deps: AgentActorDeps, s: AgentState): { providers: AgentState['providers']; tools?: string[]; readRoots: string[] } {
  const providers = deps.localizeProviders ? deps.localizeProviders(s.providers) : s.providers;
  return { providers, tools: s.tools ?? toolsFor(s.role), readRoots: s.repo ? ['node_modules', '.venv', 'vendor'].map((d) => join(s.repo!, d)).filter((d) => existsSync(d)) : [] };
}

/** Starts the process, on the stored session when there is one (`loaded`: read by the caller already). */
export async function spawn(t: AgentTurn, s: AgentState, loaded?: Promise<StoredSession | undefined>): Promise<void> {
  const { deps } = t;
  if (isUrlRepo(deps, s.repo)) await localWorktree(deps, s, s.baseCommit ?? 'HEAD'); // issue 12: rebuilt here after a takeover
  const stored = await (loaded ?? deps.sessions.load(t.self));
  await deps.host.spawn(t.self, {
    cwd: s.worktree!,
    runtime: s.runtime,
    team: s.team,
    ...processSpec(deps, s),
    providerIndex: s.providerIndex,
    session: stored ? { fileName: stored.fileName, content: stored.content } : undefined,
    correlationId: s.correlationId,
  });
}

/** Copies the process's session file to the session store (resume after a crash or a move). */
export async function saveSession(t: AgentTurn, s: AgentState): Promise<void> {
  const snap = await t.deps.host.snapshotSession(t.self);
  if (!snap) return;
  s.sessionFile = snap.fileName;
  await t.deps.sessions.save({
    agent: t.self,
    team: s.team,
    fileName: snap.fileName,
    content: snap.content,
    parentAgent: s.parent?.agent ?? null,
    forkedFromEntry: s.parent?.entry ?? null,
    baseCommit: s.baseCommit ?? null,
  });
}

/** Usage of the team's other agents plus this one's, when the agent has a team budget. */
export async function teamTotals(t: AgentTurn, s: AgentState): Promise<{ total: number; costUsd: number } | undefined> {
  if (!s.teamBudget || !t.deps.teamUsage) return undefined;
  const others = await t.deps.teamUsage(s.team, t.self);
  return { total: others.total + s.usage.total, costUsd: others.costUsd + s.usage.costUsd };
}

/** The budget of the coming turn, as session totals: the agent's own and what is left of its team's. */
async function turnLimit(t: AgentTurn, s: AgentState): Promise<TurnLimit | undefined> {
  const limit: TurnLimit = { used: { total: s.usage.total, costUsd: s.usage.costUsd }, scope: {} };
  const tighter = (key: 'tokens' | 'costUsd', value: number | undefined, scope: 'agent' | 'team') => {
    if (value === undefined || (limit[key] !== undefined && limit[key]! <= value)) return;
    limit[key] = value;
    limit.scope[key] = scope;
  };
  tighter('tokens', s.budget.tokens, 'agent');
  tighter('costUsd', s.budget.costUsd, 'agent');
  if (s.teamBudget && t.deps.teamUsage) {
    const others = await t.deps.teamUsage(s.team, t.self);
    if (s.teamBudget.tokens !== undefined) tighter('tokens', s.teamBudget.tokens - others.total, 'team');
    if (s.teamBudget.costUsd !== undefined) tighter('costUsd', s.teamBudget.costUsd - others.costUsd, 'team');
  }
  return limit.tokens === undefined && limit.costUsd === undefined ? undefined : limit;
}

/** Prompts the process with the turn's budget armed (enforced from the streamed usage, mid-turn). */
export async function promptHost(t: AgentTurn, s: AgentState, text: string): Promise<void> {
  const by = t.ctx.envelope.id;
  if (t.deps.host.promptedBy(t.self, by)) return; // an earlier attempt of this turn prompted the live process
  t.deps.host.limitTurn(t.self, await turnLimit(t, s));
  await t.deps.host.prompt(t.self, text, by);
}
