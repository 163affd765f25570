import { verifyContext } from './baseline';
import { finish } from './finish';
import { addMember, liveWorkers, promptMember, reviewer } from './members';
import * as P from './prompts';
import { setTask } from './tasks';
import { TERMINAL } from './team-state';
import type { TeamTurn } from './turn';

const ACTIVE: ReadonlySet<string> = new Set(['ready', 'running', 'in_review', 'merging']);

/**
 * Moves the DAG forward after every message: readiness, assignments, reviews, the end. Every ready
 * task with an idle worker is handed out in this same turn (their prompts leave together).
 */
export async function schedule(t: TeamTurn): Promise<void> {
  const s = t.s;
  if (s.status !== 'running' || s.finishing || s.baseline?.status === 'running') return;
  for (const id of s.order) {
    const task = s.tasks[id];
    if (task.status !== 'pending') continue;
    const deps = task.dependsOn.map((d) => s.tasks[d]);
    const broken = deps.find((d) => d.status === 'failed' || d.status === 'cancelled');
    if (broken) await setTask(t, task, 'cancelled', { reason: `dependency ${broken.id} ${broken.status}` });
    else if (deps.every((d) => d.status === 'done')) {
      if (task.role === 'reviewer') {
        await setTask(t, task, 'in_review');
        s.reviewQueue.push(task.id);
      } else await setTask(t, task, 'ready');
    }
  }
  for (const id of s.order) {
    const task = s.tasks[id];
    if (task.status !== 'ready') continue;
    const free = liveWorkers(s).find((m) => !m.task && m.status === 'idle');
    if (!free) {
      const wanted = s.order.filter((x) => ACTIVE.has(s.tasks[x].status)).length;
      if (liveWorkers(s).length < Math.min(s.settings.concurrency, wanted)) addMember(t, 'worker', `worker-${++s.workerSeq}`);
      break;
    }
    const base = await t.tip();
    t.resetWorktree(free.worktree!, base);
    task.base = base;
    task.worker = free.name;
    task.assignments += 1;
    task.round = 1;
    free.task = task.id;
    await setTask(t, task, 'running', { base, assignment: task.assignments });
    promptMember(t, free, P.workerTaskPrompt(s.team, task, s.intent, verifyContext(s)));
  }
  await nextReview(t);
  if (s.order.length > 0 && s.order.every((id) => TERMINAL.has(s.tasks[id].status))) {
    const failed = s.order.filter((id) => s.tasks[id].status !== 'done');
    await finish(t, failed.length === 0 ? 'succeeded' : 'failed', failed.length ? `tasks not done: ${failed.map((id) => `${id} (${s.tasks[id].status}: ${s.tasks[id].reason ?? ''})`).join(', ')}` : undefined);
  }
}

/**
 * The idle reviewer takes the next task of the review queue (its worktree set to the reviewed commit).
 * `review.started` names its reviewer (agent and data): a round whose reviewer was lost before its
 * verdict is reviewed again in the same round by the replacement (monitor.ts) — a second, distinct
 * announcement, not the same one twice. The round counts verdicts, so a crash does not spend one.
 */
async function nextReview(t: TeamTurn): Promise<void> {
  const s = t.s;
  const r = reviewer(s);
  if (s.reviewing || !r || r.status !== 'idle' || !r.worktree) return;
  const id = s.reviewQueue.shift();
  if (!id) return;
  const task = s.tasks[id];
  task.reviews += 1;
  s.reviewing = id;
  r.task = id;
  if (task.role === 'reviewer') {
    // A review task of the workflow: the whole intent's change so far.
    const head = await t.tip();
    t.resetWorktree(r.worktree, head);
    const d = await t.io.diff(s.repo, s.startCommit!, head);
    t.event('review.started', { task: id, round: task.reviews, reviewer: r.name, files: d.files, scope: 'intent' }, t.agent(r.name));
    promptMember(t, r, P.reviewPrompt(s.team, task, task.reviews, d.diff || '(no changes yet)', d.truncated));
    return;
  }
  t.resetWorktree(r.worktree, task.commit!);
  const d = await t.io.diff(s.repo, task.base!, task.commit!);
  t.event('review.started', { task: id, round: task.reviews, reviewer: r.name, files: d.files, commit: task.commit }, t.agent(r.name));
  promptMember(t, r, P.reviewPrompt(s.team, task, task.reviews, d.diff, d.truncated));
}
