import { parseReview } from './plan';
import * as P from './prompts';
import { promptMember } from './members';
import { backToWorker, releaseAndFail, setTask } from './tasks';
import type { MemberState, TaskState } from './team-state';
import type { TeamTurn, WorkCommitted } from './turn';

/** A worker's turn ended: its worktree is committed by an effect, whose answer goes on (`onWorkerCommitted`). */
export function onWorkerDone(t: TeamTurn, m: MemberState): void {
  const s = t.s;
  const task = m.task ? s.tasks[m.task] : undefined;
  if (!task || task.status !== 'running' || task.worker !== m.name || !m.worktree) return;
  task.committing = { round: task.round, assignment: task.assignments, purpose: 'review' };
  t.commitWork(m.worktree, `${task.title}\n\nGodel-Task: ${s.team}/${task.id} (round ${task.round})`, { task: task.id, ...task.committing });
}

/** The worker's turn is committed (`team.work_committed`, checked fresh): a change goes to review, none is told once. */
export async function onWorkerCommitted(t: TeamTurn, task: TaskState, m: MemberState, w: WorkCommitted): Promise<void> {
  const s = t.s;
  if (!w.commit) {
    t.event('task.commit_failed', { task: task.id, worker: m.name, round: task.round, error: w.error ?? null }, t.agent(m.name));
    return releaseAndFail(t, task, `commit.failed: the worker's worktree could not be committed (${w.error ?? 'no commit'})`);
  }
  const commit = w.commit;
  task.commit = commit;
  if (await t.io.sameTree(m.worktree!, task.base!, commit)) {
    // Nothing to review or merge: the worker is told once, then the task fails. A task is done
    // only when its change is merged (or a review task's reviewer accepts the state as it is).
    task.noChanges = true;
    if (!task.nudged) {
      task.nudged = true;
      t.event('task.no_changes', { task: task.id, worker: m.name, round: task.round, action: 'told the worker' }, t.agent(m.name));
      return backToWorker(t, task, (round) => P.noChangesPrompt(s.team, task.id, round, s.verify), { reason: 'no change was found in the worktree' });
    }
    t.event('task.no_changes', { task: task.id, worker: m.name, round: task.round, action: 'failed' }, t.agent(m.name));
    return releaseAndFail(t, task, `task.no_changes: the worker's turns left no change in its worktree (twice)`);
  }
  task.noChanges = false;
  await setTask(t, task, 'in_review', { commit });
  s.reviewQueue.push(task.id);
}

/** The reviewer's verdict: approved work goes to the merge queue, requested changes back to work. */
export async function onReview(t: TeamTurn, r: MemberState, text: string): Promise<void> {
  const s = t.s;
  const id = s.reviewing;
  if (!id || r.task !== id) return;
  const task = s.tasks[id];
  const v = parseReview(text);
  if (!v) {
    t.event('review.unreadable', { task: id, attempt: task.reviewReasks + 1, text: text.slice(0, 500) });
    if (task.reviewReasks < 1) {
      task.reviewReasks += 1;
      promptMember(t, r, P.reviewReaskPrompt(s.team, id, task.reviews));
      return;
    }
    s.reviewing = undefined;
    r.task = undefined;
    return releaseAndFail(t, task, 'review.unreadable: the reviewer answered twice without a verdict');
  }
  s.reviewing = undefined;
  r.task = undefined;
  task.reviewReasks = 0;
  if (v.verdict === 'approve') {
    t.event('review.approved', { task: id, round: task.reviews, comments: v.comments || undefined });
    if (task.role === 'reviewer') return setTask(t, task, 'done', { verdict: 'approve' });
    task.mergeAttempt += 1;
    await setTask(t, task, 'merging', { commit: task.commit, mergeAttempt: task.mergeAttempt });
    // Failures the target already had are not this change's fault — unless it is the fix.
    const b = s.baseline;
    const baselineFailures = b?.status === 'red' && !b.fixed && !task.fixesBaseline ? b.failures : undefined;
    t.enqueueMerge({ team: s.team, teamAddress: t.self, task: task.id, attempt: task.mergeAttempt, repo: s.repo, target: s.target, commit: task.commit!, verify: s.verify, verifyTimeoutMs: s.settings.verifyTimeoutMs, baselineFailures, correlationId: s.intentId });
    return;
  }
  t.event('review.changes_requested', { task: id, round: task.reviews, comments: v.comments });
  if (task.role === 'reviewer') {
    // The workflow's review asks for more work: a fix task, then this review again.
    const fixId = `${task.id}-fix${task.reviews}`;
    s.tasks[fixId] = { id: fixId, title: `Address review of ${task.title}`, prompt: `${s.intent}\n\nThe reviewer asked for these changes:\n${v.comments}`, dependsOn: [], role: 'worker', status: 'pending', assignments: 0, round: 0, reviews: 0, reviewReasks: 0, mergeAttempt: 0, conflicts: 0, verifyFailures: 0 };
    s.order.splice(s.order.indexOf(task.id), 0, fixId);
    task.dependsOn = [...task.dependsOn, fixId];
    return setTask(t, task, 'pending', { waitingFor: fixId });
  }
  if (task.reviews >= s.settings.maxReviewRounds) return releaseAndFail(t, task, `review.rounds_exhausted: changes still requested after ${task.reviews} reviews`);
  return backToWorker(t, task, (round) => P.changesRequestedPrompt(s.team, task.id, round, v.comments), { reason: 'changes requested' });
}
