import type { BaselineResult } from '../refinery/refinery';
import { baselineFixTask, verifyContext } from './baseline';
import { finish } from './finish';
import { addMember, liveWorkers, promptMember } from './members';
import { extractJson, PlanInvalidError, validatePlan, type PlannedTask } from './plan';
import * as P from './prompts';
import { coordinatorOf, DEFAULT_SETTINGS, type StartTeam, type TeamState } from './team-state';
import type { TeamTurn } from './turn';

function planEvent(s: TeamState): Array<Record<string, unknown>> {
  return s.order.map((id) => ({ id, title: s.tasks[id].title, dependsOn: s.tasks[id].dependsOn, role: s.tasks[id].role }));
}

/** `team.start`: the team takes its intent, queues the baseline, and starts its first members. */
export async function start(t: TeamTurn, p: StartTeam): Promise<void> {
  const s = t.s;
  if (s.status !== 'new') return;
  Object.assign(s, {
    intent: p.intent,
    intentId: p.intentId,
    repo: p.repo,
    target: p.target,
    verify: p.verify,
    workflow: p.workflow?.name,
    budget: p.budget,
    providers: p.providers,
    settings: { ...DEFAULT_SETTINGS, ...p.settings },
    createdAt: t.now,
  });
  s.startCommit = await t.tip();
  t.event('team.started', { intent: s.intent, repo: s.repo, target: s.target, verify: s.verify ?? null, workflow: s.workflow ?? null, startCommit: s.startCommit, settings: s.settings });
  if (s.verify) {
    // The baseline: the target's own verification before any change, on the refinery (any
    // instance); it overlaps the agents' start-up, and no work is handed out before it is known.
    s.baseline = { status: 'running' };
    t.enqueueMerge({ kind: 'baseline', team: s.team, teamAddress: t.self, task: '(baseline)', attempt: 0, repo: s.repo, target: s.target, commit: s.startCommit, verify: s.verify, verifyTimeoutMs: s.settings.verifyTimeoutMs, correlationId: s.intentId });
  }
  if (p.workflow) {
    acceptPlan(s, p.workflow.tasks.map((w) => ({ ...w, prompt: w.prompt.replaceAll('{{intent}}', s.intent), title: w.title.replaceAll('{{intent}}', s.intent) })));
    s.status = 'running';
    t.event('team.planned', { source: `workflow ${p.workflow.name}`, tasks: planEvent(s) });
    startPool(t, Math.max(1, p.workflow.tasks.filter((w) => w.role === 'worker').length));
  } else {
    // The coordinator starts alone (process start-up is CPU-bound); the reviewer and workers start
    // once it is thinking, so their start-up overlaps its planning turn. It is prompted once the
    // baseline is known (it must plan a fix for a red one).
    s.status = 'planning';
    addMember(t, 'coordinator', 'coordinator');
    // One worker starts with it, so the first task does not wait for a process start after the
    // plan (the coordinator itself never works: its session was told to change no file).
    addMember(t, 'worker', `worker-${++s.workerSeq}`);
  }
  t.effects.push({ kind: 'reminder', name: 'monitor', delayMs: s.settings.monitorMs });
}

/** The coordinator gets its planning prompt once it has started and the baseline is known. */
export function maybePlan(t: TeamTurn): void {
  const s = t.s;
  const c = coordinatorOf(s);
  if (s.status !== 'planning' || s.planPrompted || !c || c.retired || c.status !== 'idle' || s.baseline?.status === 'running') return;
  s.planPrompted = true;
  promptMember(t, c, P.coordinatorPrompt(s.team, s.intent, s.settings.maxTasks, verifyContext(s)));
}

export function onBaseline(t: TeamTurn, r: BaselineResult): void {
  const s = t.s;
  if (s.baseline?.status !== 'running') return;
  s.baseline = { status: r.ok ? 'green' : 'red', code: r.code, output: r.output.slice(-2000), failures: r.failures.slice(0, 30), ms: r.ms };
  t.event('baseline.finished', { ok: r.ok, code: r.code, timedOut: r.timedOut, ms: r.ms, commit: r.commit, failures: r.failures.slice(0, 10), allowRedBase: s.settings.allowRedBase });
  if (!r.ok && !s.settings.allowRedBase && s.status === 'running') {
    // A workflow has no coordinator to plan the fix: a fix task goes first, and every task waits for it.
    const fix = baselineFixTask(s.verify ?? '', r);
    s.tasks[fix.id] = fix;
    for (const id of s.order) s.tasks[id].dependsOn = [...s.tasks[id].dependsOn, fix.id];
    s.order.unshift(fix.id);
    t.event('team.planned', { source: 'red baseline', tasks: planEvent(s) });
  }
  maybePlan(t);
}

/** The reviewer and enough workers for `workerTasks` (up to the concurrency), once. */
export function startPool(t: TeamTurn, workerTasks: number): void {
  const s = t.s;
  if (Object.values(s.members).some((m) => m.role === 'reviewer')) return;
  addMember(t, 'reviewer', `reviewer-${++s.reviewerSeq}`);
  for (let i = liveWorkers(s).length; i < Math.min(s.settings.concurrency, workerTasks); i++) addMember(t, 'worker', `worker-${++s.workerSeq}`);
}

function acceptPlan(s: TeamState, tasks: PlannedTask[]): void {
  for (const task of tasks) {
    s.tasks[task.id] = { ...task, status: 'pending', assignments: 0, round: 0, reviews: 0, reviewReasks: 0, mergeAttempt: 0, conflicts: 0, verifyFailures: 0 };
    s.order.push(task.id);
  }
}

/** The coordinator's answer: a valid plan starts the work; an invalid one is asked again once. */
export async function onPlan(t: TeamTurn, text: string): Promise<void> {
  const s = t.s;
  if (s.status !== 'planning') return;
  s.planAttempts += 1;
  try {
    const tasks = validatePlan(extractJson(text));
    if (tasks.length > s.settings.maxTasks) throw new PlanInvalidError([`at most ${s.settings.maxTasks} tasks`]);
    if (s.baseline?.status === 'red' && !s.settings.allowRedBase && !tasks.some((task) => task.fixesBaseline)) {
      throw new PlanInvalidError([`\`${s.verify}\` fails on the target before any change: the plan needs a task that makes it pass, marked "fixesBaseline": true`]);
    }
    acceptPlan(s, tasks);
    s.status = 'running';
    t.event('team.planned', { source: 'coordinator', attempts: s.planAttempts, tasks: tasks.map((task) => ({ id: task.id, title: task.title, dependsOn: task.dependsOn, role: task.role, fixesBaseline: task.fixesBaseline })) });
    // The coordinator's session holds the planning instructions ("change no file"); it never
    // gets a worker's task. Its process stops now; its worktree goes when the team ends.
    const c = coordinatorOf(s)!;
    c.retired = true;
    t.tellAgent(c.name, 'agent.stop', { reason: 'plan accepted', quiet: true });
    t.event('team.coordinator_done', { agent: c.name }, t.agent(c.name));
  } catch (err) {
    const problems = err instanceof PlanInvalidError ? err.problems : [err instanceof Error ? err.message : String(err)];
    t.event('plan.rejected', { attempt: s.planAttempts, problems });
    if (s.planAttempts >= 2) return finish(t, 'failed', `plan.invalid: the coordinator's plan was invalid twice (${problems.join('; ')})`);
    promptMember(t, coordinatorOf(s)!, P.replanPrompt(s.team, problems));
  }
}
