import { onUnfinishedCommitted } from './finish';
import { TERMINAL_TEAM } from './members';
import { onWorkerCommitted } from './review';
import type { TeamTurn, WorkCommitted } from './turn';

/**
 * `team.work_committed`, the answer of a `commit_work` effect. It goes on only while the task still
 * waits for exactly this commit (same round, assignment and purpose; for a review, the same worker
 * still holding the running task; for the end, the team still finishing): anything else is stale
 * — the task moved on (a lost worker, a cancel, an end that overtook a review commit) — and is
 * recorded (`team.message_stale`) and ignored.
 */
export async function onWorkCommitted(t: TeamTurn, w: WorkCommitted): Promise<void> {
  const s = t.s;
  const task = s.tasks[w.task];
  const c = task?.committing;
  const m = task?.worker ? s.members[task.worker] : undefined;
  const awaited = !!c && c.round === w.round && c.assignment === w.assignment && c.purpose === w.purpose;
  const fresh =
    awaited &&
    !TERMINAL_TEAM.has(s.status) &&
    (w.purpose === 'review' ? !s.finishing && task.status === 'running' && m?.task === task.id && !!m.worktree : !!s.finishing?.pending.includes(task.id));
  if (!task || !fresh) {
    const reason = !task ? 'unknown task' : !awaited ? 'not the commit the task waits for' : 'the task moved on';
    t.event('team.message_stale', { type: 'team.work_committed', task: w.task, round: w.round, assignment: w.assignment, purpose: w.purpose, commit: w.commit ?? null, reason });
    return;
  }
  task.committing = undefined;
  if (w.purpose === 'unfinished') return onUnfinishedCommitted(t, task, w);
  return onWorkerCommitted(t, task, m!, w);
}
