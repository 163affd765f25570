import type { AgentState } from './agent-state';
import { RESUME_PROMPT, type AgentTurn } from './agent-turn';
import type { LimitHit } from './process-host';
import { isProviderFailure } from './provider-chain';
import { pushTurnWork } from './agent-repo';
import { promptHost, saveSession, teamTotals } from './agent-process';
import { fail } from './agent-end';
import type { TurnEnd } from './messages';

/**
 * `agent.turn_end` (the host saw the process finish a turn): usage and session saved, the turn's work
 * pushed; then a budget stop, a provider failover, a failure, or a completed turn for the owner.
 */
export async function turnEnd(t: AgentTurn, s: AgentState, p: TurnEnd): Promise<AgentState> {
  const { deps } = t;
  if (s.status !== 'running') return s;
  if (p.pid !== undefined && deps.host.pidOf(t.self) !== p.pid) {
    // A late turn end of a process this agent no longer runs (stopped for a restart or a move):
    // the current process (or the next start) answers the prompt; failing it here lost the agent.
    t.emit(s, 'agent.turn_end_ignored', { pid: p.pid, current: deps.host.pidOf(t.self) ?? null, stopReason: p.stopReason, error: p.errorMessage ?? null });
    return s;
  }
  const live = deps.host.has(t.self);
  const before = s.usage;
  if (live) {
    s.usage = await deps.host.stats(t.self);
    // The turn's work first (issue 12: it survives this host), then the session that describes it: a
    // host lost between the two resumes from the session before this turn and does the turn again,
    // never from a session that says the files were written when the rebuilt worktree lacks them.
    await pushTurnWork(deps, s, (type, data) => t.emit(s, type, data));
    await saveSession(t, s);
  }
  if (p.budgetExceeded) return stoppedMidTurn(t, s, p.budgetExceeded, p.text);
  if (p.stopReason === 'error') {
    const cause = p.errorMessage ?? 'unknown error';
    if (isProviderFailure(cause) && s.providerIndex + 1 < s.providers.length && live) {
      const from = s.providers[s.providerIndex];
      s.providerIndex += 1;
      const to = s.providers[s.providerIndex];
      await deps.host.setModel(t.self, to.provider, to.model);
      t.emit(s, 'provider.failover', { from: `${from.provider}/${from.model}`, to: `${to.provider}/${to.model}`, cause });
      await promptHost(t, s, s.currentPrompt ?? RESUME_PROMPT);
      return s;
    }
    return fail(t, s, `model error: ${cause}`, false);
  }
  s.status = 'idle';
  s.currentPrompt = undefined;
  // provider and usageDelta feed the tokens/cost metrics (counted once, wherever the agent runs).
  const usageDelta = { tokens: Math.max(0, s.usage.total - (before?.total ?? 0)), costUsd: Math.max(0, s.usage.costUsd - (before?.costUsd ?? 0)) };
  t.emit(s, 'agent.turn_completed', { usage: s.usage, provider: s.providers[s.providerIndex]?.provider, usageDelta });
  const overTokens = s.budget.tokens !== undefined && s.usage.total >= s.budget.tokens;
  const overCost = s.budget.costUsd !== undefined && s.usage.costUsd >= s.budget.costUsd;
  let scope: 'agent' | 'team' | undefined = overTokens || overCost ? 'agent' : undefined;
  const team = scope ? undefined : await teamTotals(t, s);
  if (team && ((s.teamBudget?.tokens !== undefined && team.total >= s.teamBudget.tokens) || (s.teamBudget?.costUsd !== undefined && team.costUsd >= s.teamBudget.costUsd))) scope = 'team';
  if (scope) {
    await deps.host.stop(t.self);
    s.status = 'stopped';
    s.reason = 'budget.exceeded';
    t.emit(s, 'budget.exceeded', { scope, usage: s.usage, budget: s.budget, teamUsage: team, teamBudget: s.teamBudget });
    t.notify(s, 'stopped', { text: p.text, reason: `budget.exceeded (${scope})` });
    return s;
  }
  t.notify(s, 'turn_completed', { text: p.text });
  return s;
}

/**
 * Stopped mid-turn by the budget guard: the turn's work is not finished, so it is not reported as a
 * completed turn. The overshoot is at most the response that crossed the limit.
 */
async function stoppedMidTurn(t: AgentTurn, s: AgentState, hit: LimitHit, text: string | undefined): Promise<AgentState> {
  await t.deps.host.stop(t.self);
  s.status = 'stopped';
  s.reason = 'budget.exceeded';
  const total = Math.max(s.usage.total, hit.total);
  const overshoot = { tokens: hit.limitTokens !== undefined ? Math.max(0, total - hit.limitTokens) : undefined, costUsd: hit.limitCostUsd !== undefined ? Math.max(0, Math.max(s.usage.costUsd, hit.costUsd) - hit.limitCostUsd) : undefined };
  const teamUsage = await teamTotals(t, s);
  t.emit(s, 'budget.exceeded', { scope: hit.scope, midTurn: true, usage: s.usage, budget: s.budget, teamUsage, teamBudget: s.teamBudget, limit: { tokens: hit.limitTokens, costUsd: hit.limitCostUsd }, overshoot, lastResponseTokens: hit.lastResponseTokens });
  t.notify(s, 'stopped', { text, reason: `budget.exceeded (${hit.scope})` });
  return s;
}
