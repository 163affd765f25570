import { emptyCleanup } from './baseline';
import { promptMember } from './members';
import { TERMINAL, type TaskState, type TaskStatus } from './team-state';
import type { TeamTurn } from './turn';

/** Moves a task to `status` (an event), and cleans up after it when that ends it. */
export async function setTask(t: TeamTurn, task: TaskState, status: TaskStatus, data: Record<string, unknown> = {}): Promise<void> {
  const from = task.status;
  task.status = status;
  if (status === 'running' && !task.startedAt) task.startedAt = t.now;
  if (TERMINAL.has(status)) task.finishedAt = t.now;
  if (data.reason !== undefined) task.reason = String(data.reason);
  t.event(`task.${status}`, { task: task.id, title: task.title, from, worker: task.worker, round: task.round, ...data });
  if (TERMINAL.has(status)) await taskEnded(t, task);
}

/**
 * A task ended: unmerged work is kept on a branch when the keep-failed policy says so (named in
 * the team's end event), and the task's attempt refs are pruned — merged work is on the target.
 */
async function taskEnded(t: TeamTurn, task: TaskState): Promise<void> {
  const s = t.s;
  if (task.status !== 'done' && s.settings.keepFailed && task.commit && task.base && !(await t.io.sameTree(s.repo, task.base, task.commit).catch(() => true))) {
    const branch = `godel/${s.team}/failed/${task.id}`;
    t.keepRef(`refs/heads/${branch}`, task.commit);
    s.cleanup ??= emptyCleanup();
    s.cleanup.kept.push({ task: task.id, branch, reason: `task ${task.status}: ${task.reason ?? ''}`.trim() });
    t.event('task.work_kept', { task: task.id, branch, commit: task.commit, repo: s.repo });
  }
  const pruned = await t.pruneRefs(`refs/godel/attempts/${s.team}/${task.id}/`);
  if (pruned > 0) {
    s.cleanup ??= emptyCleanup();
    s.cleanup.attemptRefsPruned += pruned;
  }
}

export async function releaseAndFail(t: TeamTurn, task: TaskState, reason: string): Promise<void> {
  const m = task.worker ? t.s.members[task.worker] : undefined;
  if (m?.task === task.id) m.task = undefined;
  await setTask(t, task, 'failed', { reason });
}

/** Sends a task back to its worker (or, if that worker is gone, makes it ready for a fresh one). */
export async function backToWorker(t: TeamTurn, task: TaskState, text: (round: number) => string, data: Record<string, unknown>, resetTo?: string): Promise<void> {
  const s = t.s;
  const m = task.worker ? s.members[task.worker] : undefined;
  if (!m || m.retired) {
    // Its worker is gone: a fresh one starts from the tip; the work so far stays reachable.
    if (task.commit && task.commit !== task.base) t.keepRef(`refs/godel/attempts/${s.team}/${task.id}/round-${task.round}`, task.commit);
    task.worker = undefined;
    return setTask(t, task, 'ready', { ...data, reassign: true });
  }
  if (resetTo) {
    t.resetWorktree(m.worktree!, resetTo);
    task.base = resetTo;
  }
  task.round += 1;
  await setTask(t, task, 'running', data);
  promptMember(t, m, text(task.round));
}
