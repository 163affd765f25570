import type { AgentUpdate } from '@godel/agents';
import { finish } from './finish';
import { addMember, TERMINAL_TEAM } from './members';
import { setTask } from './tasks';
import { DEFAULT_SETTINGS, TERMINAL, type MemberState } from './team-state';
import type { TeamTurn } from './turn';

/** Only a member in a turn can be stuck; process start-up has its own deadlines in the process host. */
const BUSY_ROLES: ReadonlySet<string> = new Set(['running']);

/** Monitor: a member is gone for good (past its restart intensity, over budget, stopped, unresponsive). */
export async function onMemberLost(t: TeamTurn, m: MemberState, reason: string): Promise<void> {
  const s = t.s;
  if (m.retired) return;
  m.retired = true;
  if (/budget\.exceeded \(team\)/.test(reason)) return finish(t, 'failed', `budget.exceeded: the team's budget is spent (${reason})`);
  if (m.role === 'coordinator') {
    if (s.status !== 'planning') return;
    // Lost while planning (a model or store outage, a host gone): one replacement plans from the
    // start; a second loss fails the team.
    if ((s.coordinatorSeq ?? 1) >= 2) return finish(t, 'failed', `coordinator lost twice: ${reason}`);
    s.coordinatorSeq = (s.coordinatorSeq ?? 1) + 1;
    s.planPrompted = false;
    const next = `coordinator-${s.coordinatorSeq}`;
    t.event('monitor.replaced', { agent: m.name, role: m.role, reason, replacement: next }, t.agent(m.name));
    addMember(t, 'coordinator', next);
    return;
  }
  if (m.role === 'reviewer') {
    // Its review gave no verdict: the same round goes back to the head of the queue for the
    // replacement (the round counts verdicts; review.started names each reviewer).
    const requeued = s.reviewing;
    if (requeued) {
      s.reviewQueue.unshift(requeued);
      s.tasks[requeued].reviews -= 1;
      s.reviewing = undefined;
    }
    if (s.reviewerSeq >= 2) return finish(t, 'failed', `reviewer lost twice: ${reason}`);
    t.event('monitor.replaced', { agent: m.name, role: m.role, reason, ...(requeued ? { review: requeued } : {}) }, t.agent(m.name));
    addMember(t, 'reviewer', `reviewer-${++s.reviewerSeq}`);
    return;
  }
  const task = m.task ? s.tasks[m.task] : undefined;
  m.task = undefined;
  if (!task || TERMINAL.has(task.status)) return;
  if (task.status === 'merging' || task.status === 'in_review') {
    // The commit is safe in git; a fresh worker is found if the task comes back.
    task.worker = undefined;
    return;
  }
  if (task.assignments >= s.settings.maxAssignments) {
    t.event('monitor.escalated', { agent: m.name, task: task.id, assignments: task.assignments, reason }, t.agent(m.name));
    return setTask(t, task, 'failed', { reason: `escalated: ${task.assignments} workers lost on this task (last: ${reason})` });
  }
  if (task.commit && task.commit !== task.base) t.keepRef(`refs/godel/attempts/${s.team}/${task.id}/lost-${m.name}`, task.commit);
  task.worker = undefined;
  t.event('monitor.reassigned', { agent: m.name, task: task.id, assignment: task.assignments + 1, reason }, t.agent(m.name));
  await setTask(t, task, 'ready', { reason: `worker ${m.name} lost: ${reason}` });
}

/** The agent restarted its process on its session (its own restart intensity): busy again from now. */
export function onRestarted(t: TeamTurn, m: MemberState, u: AgentUpdate): void {
  m.restarts = u.restarts ?? m.restarts + 1;
  // A member at work gets a fresh stuck window; an idle one stays free.
  if (m.busySince !== undefined) m.busySince = t.now;
  t.event('monitor.restarted', { agent: m.name, role: m.role, task: m.task, restarts: m.restarts, reason: u.reason }, t.agent(m.name));
}

/** Resends of a prompt the agent shows no sign of, before the member counts as lost. */
const MAX_RESENDS = 3;

/**
 * The monitor's reminder (every `monitorMs`), for each member the team awaits:
 * - a prompt the agent has not taken (no `agent.prompted` with its id) for `repromptMs` is resent
 *   under the same id (taken once, whatever happened to the first copy: refused mid-start,
 *   dead-lettered, lost with an instance); after MAX_RESENDS the member is lost and replaced;
 * - a taken prompt whose agent shows no event for `stuckMs` is restarted on its session.
 * Then the reminder is scheduled again.
 */
export async function monitorTick(t: TeamTurn): Promise<void> {
  const s = t.s;
  if (TERMINAL_TEAM.has(s.status) || s.finishing) return;
  const busy = Object.values(s.members).filter((m) => !m.retired && m.busySince !== undefined && BUSY_ROLES.has(m.status));
  if (busy.length > 0) {
    const addresses = busy.map((m) => t.agent(m.name));
    const [last, taken] = await Promise.all([t.io.lastActivity(addresses), t.io.promptsTaken(addresses)]);
    for (const m of busy) {
      if (m.prompt && taken.get(t.agent(m.name)) !== m.prompt.id) await unanswered(t, m, m.prompt);
      else stuck(t, m, last.get(t.agent(m.name)) ?? 0);
    }
  }
  t.effects.push({ kind: 'reminder', name: 'monitor', delayMs: s.settings.monitorMs });
}

async function unanswered(t: TeamTurn, m: MemberState, p: NonNullable<MemberState['prompt']>): Promise<void> {
  const since = Math.max(p.at, p.resentAt ?? 0);
  if (t.now - since < (t.s.settings.repromptMs ?? DEFAULT_SETTINGS.repromptMs)) return;
  if (p.resent < MAX_RESENDS) {
    p.resent += 1;
    p.resentAt = t.now;
    t.event('monitor.reprompted', { agent: m.name, role: m.role, task: m.task, resent: p.resent, waitedMs: t.now - p.at }, t.agent(m.name));
    t.tellAgent(m.name, 'agent.prompt', { text: p.text, id: p.id });
    return;
  }
  const reason = `unresponsive: the agent took no prompt in ${Math.round((t.now - p.at) / 1000)} s (${p.resent} resends)`;
  t.event('monitor.unresponsive', { agent: m.name, role: m.role, task: m.task, resent: p.resent, waitedMs: t.now - p.at }, t.agent(m.name));
  t.tellAgent(m.name, 'agent.stop', { reason });
  await onMemberLost(t, m, reason);
}

function stuck(t: TeamTurn, m: MemberState, lastEvent: number): void {
  const now = t.now;
  const progress = Math.max(m.busySince!, lastEvent);
  if (now - progress < t.s.settings.stuckMs) return;
  m.busySince = now;
  t.event('monitor.stuck', { agent: m.name, role: m.role, task: m.task, idleMs: now - progress, action: 'restart' }, t.agent(m.name));
  t.tellAgent(m.name, 'agent.restart', { reason: `stuck: no progress for ${Math.round((now - progress) / 1000)} s` });
}
