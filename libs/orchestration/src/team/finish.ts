import type { AgentUpdate } from '@godel/agents';
import { looksLikeUrl } from '@godel/workspace';
import { emptyCleanup } from './baseline';
import { TERMINAL_TEAM } from './members';
import { setTask } from './tasks';
import { TERMINAL, type MemberState, type TaskState } from './team-state';
import type { TeamTurn, WorkCommitted } from './turn';

type EndStatus = 'succeeded' | 'failed' | 'cancelled';

/**
 * The team ends: queued merges withdrawn, open tasks cancelled, every member stopped and cleaned
 * up. Work in progress (a turn stopped by the budget, a cancel) is committed first, so the
 * keep-failed policy can keep it when the worktree goes: a `commit_work` effect per running task,
 * and the end waits (`finishing`) until every answer is back (`onUnfinishedCommitted`).
 */
export async function finish(t: TeamTurn, status: EndStatus, reason?: string): Promise<void> {
  const s = t.s;
  if (TERMINAL_TEAM.has(s.status) || s.finishing) return;
  // Merges still queued are withdrawn; one already running may land, and is recorded if it does.
  if (s.order.some((id) => s.tasks[id].status === 'merging')) t.effects.push({ kind: 'withdraw_merges', team: s.team });
  const unfinished = s.order.filter((id) => {
    const task = s.tasks[id];
    const m = task.worker ? s.members[task.worker] : undefined;
    return task.status === 'running' && m?.task === task.id && !!m.worktree;
  });
  if (unfinished.length === 0) return end(t, status, reason);
  s.finishing = { status, reason, pending: unfinished };
  for (const id of unfinished) {
    const task = s.tasks[id];
    task.committing = { round: task.round, assignment: task.assignments, purpose: 'unfinished' };
    const message = `${task.title} (unfinished: team ${status})\n\nGodel-Task: ${s.team}/${task.id} (round ${task.round})`;
    t.commitWork(s.members[task.worker!].worktree!, message, { task: id, ...task.committing });
  }
}

/** The commit of a running task's work is back (`team.work_committed`, checked fresh); the last one ends the team. */
export async function onUnfinishedCommitted(t: TeamTurn, task: TaskState, w: WorkCommitted): Promise<void> {
  const f = t.s.finishing!;
  // A commit that failed leaves the task's last commit (if any) as its work.
  if (w.commit) task.commit = w.commit;
  else t.event('task.commit_failed', { task: task.id, round: task.round, error: w.error ?? null, unfinished: true });
  f.pending = f.pending.filter((id) => id !== task.id);
  if (f.pending.length > 0) return;
  t.s.finishing = undefined;
  await end(t, f.status, f.reason);
}

/** The end itself: tasks cancelled (unmerged work kept), members stopped and cleaned up, the end event. */
async function end(t: TeamTurn, status: EndStatus, reason?: string): Promise<void> {
  const s = t.s;
  for (const id of s.order) {
    const task = s.tasks[id];
    if (task.status === 'merging' && task.commit) s.ledger.push({ task: task.id, commit: task.commit, outcome: 'failed', reason: `team ${status} before the merge finished`, at: t.now });
    if (!TERMINAL.has(task.status)) await setTask(t, task, 'cancelled', { reason: `team ${status}` });
  }
  s.status = status;
  s.reason = reason;
  s.finishedAt = t.now;
  // Every member stops and removes its worktree and branch (merged work is on the target; failed
  // work was kept on a branch as its task ended); each confirms with a `cleaned_up` update.
  s.cleanup ??= emptyCleanup();
  s.cleanup.pending = Object.keys(s.members);
  for (const m of Object.values(s.members)) t.tellAgent(m.name, 'agent.stop', { reason: `team ${status}`, quiet: true, cleanup: true });
  s.cleanup.attemptRefsPruned += await t.pruneRefs(`refs/godel/attempts/${s.team}/`);
  t.effects.push({ kind: 'cancel_reminder', name: 'monitor' });
  s.usage = await t.io.teamUsage(s.team);
  t.event(`team.${status}`, {
    reason: reason ?? null,
    commits: s.ledger.reduce((n, l) => n + (l.outcome === 'merged' ? (l.commits ?? 1) : 0), 0),
    kept: s.cleanup.kept,
    merged: s.ledger.filter((l) => l.outcome === 'merged').map((l) => ({ task: l.task, commit: l.commit, merged: l.merged, commits: l.commits })),
    notMerged: s.ledger.filter((l) => l.outcome !== 'merged').map((l) => ({ task: l.task, commit: l.commit, outcome: l.outcome, reason: l.reason })),
    tasks: Object.fromEntries(s.order.map((id) => [id, s.tasks[id].status])),
    usage: s.usage,
    durationMs: s.finishedAt - (s.createdAt ?? s.finishedAt),
  });
}

/** A member confirmed its cleanup; the last one closes the team's cleanup (an event). */
export function onCleanedUp(t: TeamTurn, m: MemberState, u: AgentUpdate): void {
  const c = t.s.cleanup;
  if (!c || c.done || !c.pending.includes(m.name)) return;
  c.pending = c.pending.filter((n) => n !== m.name);
  if (u.worktree || u.branch) c.removed.push({ agent: m.name, worktree: u.worktree, branch: u.branch });
  if (c.pending.length > 0) return;
  c.done = true;
  t.event('team.cleaned_up', { removed: c.removed, kept: c.kept, attemptRefsPruned: c.attemptRefsPruned, repo: t.s.repo });
  // A URL team's refs on the remote go too, now that no member pushes its work any more (kept failed work stays).
  if (looksLikeUrl(t.s.repo)) t.effects.push({ kind: 'git', action: { op: 'delete_team_refs', repo: t.s.repo, team: t.s.team } });
}
