import type { AgentUpdate } from '@godel/agents';
import { finish } from './finish';
import { addMember, TERMINAL_TEAM } from './members';
import { setTask } from './tasks';
import { TERMINAL, type MemberState } from './team-state';
import type { TeamTurn } from './turn';

/** Only a member in a turn can be stuck; process start-up has its own deadlines in the process host. */
const BUSY_ROLES: ReadonlySet<string> = new Set(['running']);

/** Monitor: a member is gone for good (past its restart intensity, over budget, stopped). */
export async function onMemberLost(t: TeamTurn, m: MemberState, u: AgentUpdate): Promise<void> {
  const s = t.s;
  if (m.retired) return;
  m.retired = true;
  const reason = u.reason ?? u.status;
  if (/budget\.exceeded \(team\)/.test(reason)) return finish(t, 'failed', `budget.exceeded: the team's budget is spent (${reason})`);
  if (m.role === 'coordinator') {
    if (s.status === 'planning') return finish(t, 'failed', `coordinator lost: ${reason}`);
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
  m.busySince = t.now;
  t.event('monitor.restarted', { agent: m.name, role: m.role, task: m.task, restarts: m.restarts, reason: u.reason }, t.agent(m.name));
}

/**
 * The monitor's reminder: a busy member whose last event (or prompt) is older than `stuckMs` is
 * restarted on its session; the reminder is scheduled again.
 */
export async function monitorTick(t: TeamTurn): Promise<void> {
  const s = t.s;
  if (TERMINAL_TEAM.has(s.status) || s.finishing) return;
  const busy = Object.values(s.members).filter((m) => !m.retired && m.busySince !== undefined && BUSY_ROLES.has(m.status));
  if (busy.length > 0) {
    const last = await t.io.lastActivity(busy.map((m) => t.agent(m.name)));
    const now = t.now;
    for (const m of busy) {
      const progress = Math.max(m.busySince!, last.get(t.agent(m.name)) ?? 0);
      if (now - progress < s.settings.stuckMs) continue;
      m.busySince = now;
      t.event('monitor.stuck', { agent: m.name, role: m.role, task: m.task, idleMs: now - progress, action: 'restart' }, t.agent(m.name));
      t.tellAgent(m.name, 'agent.restart', { reason: `stuck: no progress for ${Math.round((now - progress) / 1000)} s` });
    }
  }
  t.effects.push({ kind: 'reminder', name: 'monitor', delayMs: s.settings.monitorMs });
}
