import type { AgentState } from './agent-state';
import { ACTIVE, RESUME_PROMPT, type AgentTurn } from './agent-turn';
import { promptHost, spawn } from './agent-process';
import { fail } from './agent-end';
import type { ProcessExit } from './messages';

/**
 * The process is gone (`agent.exited`, a restart request, or the heartbeat finding none here): it is
 * restarted on its stored session within the restart intensity, else the agent fails.
 */
export async function exited(t: AgentTurn, s: AgentState, p: ProcessExit): Promise<AgentState> {
  const { deps, ctx } = t;
  if (!ACTIVE.has(s.status) || deps.host.has(t.self)) return s;
  t.emit(s, 'agent.exited', { code: p.code, signal: p.signal });
  const now = ctx.now();
  const windowMs = deps.restartWindowMs ?? 60000;
  s.restarts = s.restarts.filter((at) => now - at < windowMs);
  if (s.restarts.length >= (deps.maxRestarts ?? 3)) {
    return fail(t, s, `restart intensity exceeded: ${s.restarts.length} restarts in ${windowMs} ms (last exit ${p.signal ?? p.code})`, false);
  }
  s.restarts.push(now);
  const wasRunning = s.status === 'running';
  await spawn(t, s);
  t.emit(s, 'agent.restarted', { exit: p.signal ?? p.code, resumedSession: s.sessionFile ?? null, attempt: s.restarts.length });
  t.notify(s, 'restarted', { reason: `exit ${p.signal ?? p.code}` });
  if (wasRunning) {
    // The conversation resumes from the session; if the process died before it recorded the
    // prompt, the prompt itself is sent again.
    const hasPrompt = await deps.host.hasConversation(t.self);
    await promptHost(t, s, hasPrompt || !s.currentPrompt ? RESUME_PROMPT : s.currentPrompt);
  }
  return s;
}
