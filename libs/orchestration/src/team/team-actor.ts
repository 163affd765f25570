import type { ActorContext, ActorDefinition, Message } from '@godel/actors';
import { READ_ONLY_TOOLS, agentAddress, type AgentUpdate } from '@godel/agents';
import type { EventLog } from '@godel/persistence';
import { REFINERY_SENDER, type BaselineResult, type MergeJob, type MergeResult } from '../refinery/refinery';
import { commitAll, deleteRefs, diffBetween, keepRef, resetWorktree, revParse, sameTree } from '../refinery/git-ops';
import { extractJson, parseReview, validatePlan, PlanInvalidError } from './plan';
import { baselineFixTask, emptyCleanup, verifyContext } from './baseline';
import * as P from './prompts';
import { DEFAULT_SETTINGS, TERMINAL, initialTeamState, type MemberState, type Role, type StartTeam, type TaskState, type TaskStatus, type TeamState } from './team-state';

export interface TeamActorDeps {
  events: EventLog;
  /** Queues an approved commit with the refinery (merge queue). */
  enqueueMerge(job: MergeJob): Promise<unknown>;
  /** Removes a team's merges that have not started (the team ended). */
  withdrawMerges?(team: string): Promise<unknown>;
  /** Latest event time (ms) per agent address, for stuck detection. */
  lastActivity(agents: string[]): Promise<Map<string, number>>;
  /** Tokens and cost summed over the team's agents. */
  teamUsage(team: string): Promise<{ total: number; costUsd: number }>;
}

/**
 * Whether `from` may send `type` to team `team`. Agent updates come from the team's own agents
 * (the runtime sets `from` to the sending actor's address), merge results from the refinery;
 * anything else claiming to be one (e.g. a forged message with no sender) is refused.
 */
export function senderAllowed(team: string, type: string, from: string | undefined): boolean {
  if (type === 'team.agent_update') return typeof from === 'string' && from.startsWith(`agent/${team}:`);
  if (type === 'team.merge_result' || type === 'team.baseline_result') return from === REFINERY_SENDER;
  if (type === 'team.start') return !from?.startsWith('api:');
  return true;
}

export function teamAddress(team: string): string {
  return `team/${team}`;
}

/** Only a member in a turn can be stuck; process start-up has its own deadlines in the process host. */
const BUSY_ROLES: ReadonlySet<string> = new Set(['running']);

/**
 * The team actor (`team/<team>`): owns an intent's task DAG and its members. It starts the agents
 * (coordinator, reviewer, a pool of workers), hands ready tasks to idle workers, sends finished
 * work to review and approved commits to the refinery, and supervises its agents as the monitor:
 * an agent that crashes is restarted on its session by its own actor (restart intensity); a busy
 * agent with no progress for `stuckMs` is restarted; a worker lost past its intensity hands its
 * task to a fresh worker; a task past `maxAssignments` fails visibly. Every decision is an event
 * with the intent's correlation id. All of a team's actors share its affinity key, so the team,
 * its agents and their worktrees live on one instance; git work here is local and idempotent.
 */
export function teamActor(deps: TeamActorDeps): ActorDefinition<TeamState> {
  async function event(s: TeamState, type: string, data: Record<string, unknown> = {}, agent?: string): Promise<void> {
    await deps.events.append({ type, team: s.team, agent, correlationId: s.intentId, data });
  }

  function agentOf(s: TeamState, name: string): string {
    return agentAddress(s.team, name);
  }

  async function setTask(s: TeamState, t: TaskState, status: TaskStatus, data: Record<string, unknown> = {}): Promise<void> {
    const from = t.status;
    t.status = status;
    if (status === 'running' && !t.startedAt) t.startedAt = Date.now();
    if (TERMINAL.has(status)) t.finishedAt = Date.now();
    if (data.reason !== undefined) t.reason = String(data.reason);
    await event(s, `task.${status}`, { task: t.id, title: t.title, from, worker: t.worker, round: t.round, ...data });
    if (TERMINAL.has(status)) await taskEnded(s, t);
  }

  /**
   * A task ended: unmerged work is kept on a branch when the keep-failed policy says so (named in
   * the team's end event), and the task's attempt refs are pruned — merged work is on the target.
   */
  async function taskEnded(s: TeamState, t: TaskState): Promise<void> {
    if (t.status !== 'done' && s.settings.keepFailed && t.commit && t.base && !(await sameTree(s.repo, t.base, t.commit).catch(() => true))) {
      const branch = `godel/${s.team}/failed/${t.id}`;
      await keepRef(s.repo, `refs/heads/${branch}`, t.commit);
      s.cleanup ??= emptyCleanup();
      s.cleanup.kept.push({ task: t.id, branch, reason: `task ${t.status}: ${t.reason ?? ''}`.trim() });
      await event(s, 'task.work_kept', { task: t.id, branch, commit: t.commit, repo: s.repo });
    }
    const pruned = await deleteRefs(s.repo, `refs/godel/attempts/${s.team}/${t.id}/`).catch(() => 0);
    if (pruned > 0) {
      s.cleanup ??= emptyCleanup();
      s.cleanup.attemptRefsPruned += pruned;
    }
  }


  function addMember(s: TeamState, ctx: ActorContext, role: Role, name: string, prompt?: string): void {
    s.members[name] = { name, role, status: 'preparing', lastSeq: 0, restarts: 0, busySince: prompt ? Date.now() : undefined };
    ctx.tell(agentOf(s, name), 'agent.start', {
      repo: s.repo,
      baseRef: s.startCommit ?? s.target,
      role,
      // The reviewer and the planning coordinator read; only workers write (and run bash).
      tools: role === 'worker' ? undefined : [...READ_ONLY_TOOLS],
      providers: s.providers,
      tier: role === 'worker' ? 'cheap' : 'strong',
      teamBudget: s.budget,
      correlationId: s.intentId,
      owner: ctx.selfAddress,
      prompt,
    });
  }

  function prompt(s: TeamState, ctx: ActorContext, m: MemberState, text: string): void {
    m.busySince = Date.now();
    m.status = 'running';
    ctx.tell(agentOf(s, m.name), 'agent.prompt', { text });
  }

  function liveWorkers(s: TeamState): MemberState[] {
    return Object.values(s.members).filter((m) => m.role === 'worker' && !m.retired);
  }

  function reviewer(s: TeamState): MemberState | undefined {
    return Object.values(s.members).find((m) => m.role === 'reviewer' && !m.retired);
  }

  async function tip(s: TeamState): Promise<string> {
    const sha = await revParse(s.repo, `refs/heads/${s.target}`);
    if (!sha) throw new Error(`target branch ${s.target} is gone from ${s.repo}`);
    return sha;
  }

  async function start(s: TeamState, p: StartTeam, ctx: ActorContext): Promise<TeamState> {
    if (s.status !== 'new') return s;
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
      createdAt: Date.now(),
    });
    s.startCommit = await tip(s);
    await event(s, 'team.started', { intent: s.intent, repo: s.repo, target: s.target, verify: s.verify ?? null, workflow: s.workflow ?? null, startCommit: s.startCommit, settings: s.settings });
    if (s.verify) {
      // The baseline: the target's own verification before any change, on the refinery (any
      // instance); it overlaps the agents' start-up, and no work is handed out before it is known.
      s.baseline = { status: 'running' };
      await deps.enqueueMerge({ kind: 'baseline', team: s.team, teamAddress: ctx.selfAddress, task: '(baseline)', attempt: 0, repo: s.repo, target: s.target, commit: s.startCommit, verify: s.verify, verifyTimeoutMs: s.settings.verifyTimeoutMs, correlationId: s.intentId });
    }
    if (p.workflow) {
      acceptPlan(s, p.workflow.tasks.map((t) => ({ ...t, prompt: t.prompt.replaceAll('{{intent}}', s.intent), title: t.title.replaceAll('{{intent}}', s.intent) })));
      s.status = 'running';
      await event(s, 'team.planned', { source: `workflow ${p.workflow.name}`, tasks: s.order.map((id) => ({ id, title: s.tasks[id].title, dependsOn: s.tasks[id].dependsOn, role: s.tasks[id].role })) });
      startPool(s, ctx, Math.max(1, p.workflow.tasks.filter((t) => t.role === 'worker').length));
    } else {
      // The coordinator starts alone (process start-up is CPU-bound); the reviewer and workers start
      // once it is thinking, so their start-up overlaps its planning turn. It is prompted once the
      // baseline is known (it must plan a fix for a red one).
      s.status = 'planning';
      addMember(s, ctx, 'coordinator', 'coordinator');
      // One worker starts with it, so the first task does not wait for a process start after the
      // plan (the coordinator itself never works: its session was told to change no file).
      addMember(s, ctx, 'worker', `worker-${++s.workerSeq}`);
    }
    ctx.scheduleReminder('monitor', s.settings.monitorMs);
    return s;
  }

  /** The coordinator gets its planning prompt once it has started and the baseline is known. */
  function maybePlan(s: TeamState, ctx: ActorContext): void {
    const c = s.members.coordinator;
    if (s.status !== 'planning' || s.planPrompted || !c || c.retired || c.status !== 'idle' || s.baseline?.status === 'running') return;
    s.planPrompted = true;
    prompt(s, ctx, c, P.coordinatorPrompt(s.team, s.intent, s.settings.maxTasks, verifyContext(s)));
  }

  async function onBaseline(s: TeamState, r: BaselineResult, ctx: ActorContext): Promise<void> {
    if (s.baseline?.status !== 'running') return;
    s.baseline = { status: r.ok ? 'green' : 'red', code: r.code, output: r.output.slice(-2000), failures: r.failures.slice(0, 30), ms: r.ms };
    await event(s, 'baseline.finished', { ok: r.ok, code: r.code, timedOut: r.timedOut, ms: r.ms, commit: r.commit, failures: r.failures.slice(0, 10), allowRedBase: s.settings.allowRedBase });
    if (!r.ok && !s.settings.allowRedBase && s.status === 'running') {
      // A workflow has no coordinator to plan the fix: a fix task goes first, and every task waits for it.
      const fix = baselineFixTask(s.verify ?? '', r);
      s.tasks[fix.id] = fix;
      for (const id of s.order) s.tasks[id].dependsOn = [...s.tasks[id].dependsOn, fix.id];
      s.order.unshift(fix.id);
      await event(s, 'team.planned', { source: 'red baseline', tasks: s.order.map((id) => ({ id, title: s.tasks[id].title, dependsOn: s.tasks[id].dependsOn, role: s.tasks[id].role })) });
    }
    maybePlan(s, ctx);
  }

  function startPool(s: TeamState, ctx: ActorContext, workerTasks: number): void {
    if (Object.values(s.members).some((m) => m.role === 'reviewer')) return;
    addMember(s, ctx, 'reviewer', `reviewer-${++s.reviewerSeq}`);
    for (let i = liveWorkers(s).length; i < Math.min(s.settings.concurrency, workerTasks); i++) addMember(s, ctx, 'worker', `worker-${++s.workerSeq}`);
  }

  function acceptPlan(s: TeamState, tasks: Array<ReturnType<typeof validatePlan>[number]>): void {
    for (const t of tasks) {
      s.tasks[t.id] = { ...t, status: 'pending', assignments: 0, round: 0, reviews: 0, reviewReasks: 0, mergeAttempt: 0, conflicts: 0, verifyFailures: 0 };
      s.order.push(t.id);
    }
  }

  async function onPlan(s: TeamState, text: string, ctx: ActorContext): Promise<void> {
    if (s.status !== 'planning') return;
    s.planAttempts += 1;
    try {
      const tasks = validatePlan(extractJson(text));
      if (tasks.length > s.settings.maxTasks) throw new PlanInvalidError([`at most ${s.settings.maxTasks} tasks`]);
      if (s.baseline?.status === 'red' && !s.settings.allowRedBase && !tasks.some((t) => t.fixesBaseline)) {
        throw new PlanInvalidError([`\`${s.verify}\` fails on the target before any change: the plan needs a task that makes it pass, marked "fixesBaseline": true`]);
      }
      acceptPlan(s, tasks);
      s.status = 'running';
      await event(s, 'team.planned', { source: 'coordinator', attempts: s.planAttempts, tasks: tasks.map((t) => ({ id: t.id, title: t.title, dependsOn: t.dependsOn, role: t.role, fixesBaseline: t.fixesBaseline })) });
      // The coordinator's session holds the planning instructions ("change no file"); it never
      // gets a worker's task. Its process stops now; its worktree goes when the team ends.
      const c = s.members.coordinator;
      c.retired = true;
      ctx.tell(agentOf(s, c.name), 'agent.stop', { reason: 'plan accepted', quiet: true });
      await event(s, 'team.coordinator_done', { agent: c.name }, agentOf(s, c.name));
    } catch (err) {
      const problems = err instanceof PlanInvalidError ? err.problems : [(err as Error).message];
      await event(s, 'plan.rejected', { attempt: s.planAttempts, problems });
      if (s.planAttempts >= 2) return finish(s, ctx, 'failed', `plan.invalid: the coordinator's plan was invalid twice (${problems.join('; ')})`);
      prompt(s, ctx, s.members.coordinator, P.replanPrompt(s.team, problems));
    }
  }

  /** Moves the DAG forward: readiness, assignments, reviews, the end. */
  async function schedule(s: TeamState, ctx: ActorContext): Promise<void> {
    if (s.status !== 'running' || s.baseline?.status === 'running') return;
    for (const id of s.order) {
      const t = s.tasks[id];
      if (t.status !== 'pending') continue;
      const deps = t.dependsOn.map((d) => s.tasks[d]);
      const broken = deps.find((d) => d.status === 'failed' || d.status === 'cancelled');
      if (broken) await setTask(s, t, 'cancelled', { reason: `dependency ${broken.id} ${broken.status}` });
      else if (deps.every((d) => d.status === 'done')) {
        if (t.role === 'reviewer') {
          await setTask(s, t, 'in_review');
          s.reviewQueue.push(t.id);
        } else await setTask(s, t, 'ready');
      }
    }
    for (const id of s.order) {
      const t = s.tasks[id];
      if (t.status !== 'ready') continue;
      const free = liveWorkers(s).find((m) => !m.task && m.status === 'idle');
      if (!free) {
        const wanted = s.order.filter((x) => ['ready', 'running', 'in_review', 'merging'].includes(s.tasks[x].status)).length;
        if (liveWorkers(s).length < Math.min(s.settings.concurrency, wanted)) addMember(s, ctx, 'worker', `worker-${++s.workerSeq}`);
        break;
      }
      const base = await tip(s);
      await resetWorktree(free.worktree!, base);
      t.base = base;
      t.worker = free.name;
      t.assignments += 1;
      t.round = 1;
      free.task = t.id;
      await setTask(s, t, 'running', { base, assignment: t.assignments });
      prompt(s, ctx, free, P.workerTaskPrompt(s.team, t, s.intent, verifyContext(s)));
    }
    await nextReview(s, ctx);
    if (s.order.length > 0 && s.order.every((id) => TERMINAL.has(s.tasks[id].status))) {
      const failed = s.order.filter((id) => s.tasks[id].status !== 'done');
      await finish(s, ctx, failed.length === 0 ? 'succeeded' : 'failed', failed.length ? `tasks not done: ${failed.map((id) => `${id} (${s.tasks[id].status}: ${s.tasks[id].reason ?? ''})`).join(', ')}` : undefined);
    }
  }

  async function nextReview(s: TeamState, ctx: ActorContext): Promise<void> {
    const r = reviewer(s);
    if (s.reviewing || !r || r.status !== 'idle' || !r.worktree) return;
    const id = s.reviewQueue.shift();
    if (!id) return;
    const t = s.tasks[id];
    t.reviews += 1;
    s.reviewing = id;
    r.task = id;
    if (t.role === 'reviewer') {
      // A review task of the workflow: the whole intent's change so far.
      const head = await tip(s);
      await resetWorktree(r.worktree, head);
      const d = await diffBetween(s.repo, s.startCommit!, head);
      await event(s, 'review.started', { task: id, round: t.reviews, files: d.files, scope: 'intent' });
      prompt(s, ctx, r, P.reviewPrompt(s.team, t, t.reviews, d.diff || '(no changes yet)', d.truncated));
      return;
    }
    await resetWorktree(r.worktree, t.commit!);
    const d = await diffBetween(s.repo, t.base!, t.commit!);
    await event(s, 'review.started', { task: id, round: t.reviews, files: d.files, commit: t.commit });
    prompt(s, ctx, r, P.reviewPrompt(s.team, t, t.reviews, d.diff, d.truncated));
  }

  async function onWorkerDone(s: TeamState, m: MemberState, ctx: ActorContext): Promise<void> {
    const t = m.task ? s.tasks[m.task] : undefined;
    if (!t || t.status !== 'running' || t.worker !== m.name) return;
    const commit = await commitAll(m.worktree!, `${t.title}\n\nGodel-Task: ${s.team}/${t.id} (round ${t.round})`);
    t.commit = commit;
    if (await sameTree(m.worktree!, t.base!, commit)) {
      // Nothing to review or merge: the worker is told once, then the task fails. A task is done
      // only when its change is merged (or a review task's reviewer accepts the state as it is).
      t.noChanges = true;
      if (!t.nudged) {
        t.nudged = true;
        await event(s, 'task.no_changes', { task: t.id, worker: m.name, round: t.round, action: 'told the worker' }, agentOf(s, m.name));
        return backToWorker(s, t, ctx, (round) => P.noChangesPrompt(s.team, t.id, round, s.verify), { reason: 'no change was found in the worktree' });
      }
      await event(s, 'task.no_changes', { task: t.id, worker: m.name, round: t.round, action: 'failed' }, agentOf(s, m.name));
      return releaseAndFail(s, t, `task.no_changes: the worker's turns left no change in its worktree (twice)`);
    }
    t.noChanges = false;
    await setTask(s, t, 'in_review', { commit });
    s.reviewQueue.push(t.id);
  }

  async function onReview(s: TeamState, r: MemberState, text: string, ctx: ActorContext): Promise<void> {
    const id = s.reviewing;
    if (!id || r.task !== id) return;
    const t = s.tasks[id];
    const v = parseReview(text);
    if (!v) {
      await event(s, 'review.unreadable', { task: id, attempt: t.reviewReasks + 1, text: text.slice(0, 500) });
      if (t.reviewReasks < 1) {
        t.reviewReasks += 1;
        prompt(s, ctx, r, P.reviewReaskPrompt(s.team, id, t.reviews));
        return;
      }
      s.reviewing = undefined;
      r.task = undefined;
      return releaseAndFail(s, t, 'review.unreadable: the reviewer answered twice without a verdict');
    }
    s.reviewing = undefined;
    r.task = undefined;
    t.reviewReasks = 0;
    if (v.verdict === 'approve') {
      await event(s, 'review.approved', { task: id, round: t.reviews, comments: v.comments || undefined });
      if (t.role === 'reviewer') return setTask(s, t, 'done', { verdict: 'approve' });
      t.mergeAttempt += 1;
      await setTask(s, t, 'merging', { commit: t.commit, mergeAttempt: t.mergeAttempt });
      // Failures the target already had are not this change's fault — unless it is the fix.
      const b = s.baseline;
      const baselineFailures = b?.status === 'red' && !b.fixed && !t.fixesBaseline ? b.failures : undefined;
      await deps.enqueueMerge({ team: s.team, teamAddress: ctx.selfAddress, task: t.id, attempt: t.mergeAttempt, repo: s.repo, target: s.target, commit: t.commit!, verify: s.verify, verifyTimeoutMs: s.settings.verifyTimeoutMs, baselineFailures, correlationId: s.intentId });
      return;
    }
    await event(s, 'review.changes_requested', { task: id, round: t.reviews, comments: v.comments });
    if (t.role === 'reviewer') {
      // The workflow's review asks for more work: a fix task, then this review again.
      const fixId = `${t.id}-fix${t.reviews}`;
      s.tasks[fixId] = { id: fixId, title: `Address review of ${t.title}`, prompt: `${s.intent}\n\nThe reviewer asked for these changes:\n${v.comments}`, dependsOn: [], role: 'worker', status: 'pending', assignments: 0, round: 0, reviews: 0, reviewReasks: 0, mergeAttempt: 0, conflicts: 0, verifyFailures: 0 };
      s.order.splice(s.order.indexOf(t.id), 0, fixId);
      t.dependsOn = [...t.dependsOn, fixId];
      return setTask(s, t, 'pending', { waitingFor: fixId });
    }
    if (t.reviews >= s.settings.maxReviewRounds) return releaseAndFail(s, t, `review.rounds_exhausted: changes still requested after ${t.reviews} reviews`);
    return backToWorker(s, t, ctx, (round) => P.changesRequestedPrompt(s.team, t.id, round, v.comments), { reason: 'changes requested' });
  }

  /** Sends a task back to its worker (or, if that worker is gone, makes it ready for a fresh one). */
  async function backToWorker(s: TeamState, t: TaskState, ctx: ActorContext, text: (round: number) => string, data: Record<string, unknown>, resetTo?: string): Promise<void> {
    const m = t.worker ? s.members[t.worker] : undefined;
    if (!m || m.retired) {
      // Its worker is gone: a fresh one starts from the tip; the work so far stays reachable.
      if (t.commit && t.commit !== t.base) await keepRef(s.repo, `refs/godel/attempts/${s.team}/${t.id}/round-${t.round}`, t.commit);
      t.worker = undefined;
      return setTask(s, t, 'ready', { ...data, reassign: true });
    }
    if (resetTo) {
      await resetWorktree(m.worktree!, resetTo);
      t.base = resetTo;
    }
    t.round += 1;
    await setTask(s, t, 'running', data);
    prompt(s, ctx, m, text(t.round));
  }

  async function releaseAndFail(s: TeamState, t: TaskState, reason: string): Promise<void> {
    const m = t.worker ? s.members[t.worker] : undefined;
    if (m?.task === t.id) m.task = undefined;
    await setTask(s, t, 'failed', { reason });
  }

  async function onMergeResult(s: TeamState, r: MergeResult, ctx: ActorContext): Promise<void> {
    const t = s.tasks[r.task];
    if (!t || t.status !== 'merging' || r.attempt !== t.mergeAttempt) return;
    const at = Date.now();
    switch (r.kind) {
      case 'merged': {
        t.merged = r.merged;
        s.ledger.push({ task: t.id, commit: r.commit, outcome: 'merged', merged: r.merged, commits: r.commits, at });
        const m = t.worker ? s.members[t.worker] : undefined;
        if (m?.task === t.id) m.task = undefined;
        if (t.fixesBaseline && s.baseline) s.baseline.fixed = true;
        return setTask(s, t, 'done', { merged: r.merged, commits: r.commits, verifyMs: r.verifyMs, alreadyMerged: r.alreadyMerged, redAsBaseline: r.redAsBaseline ? r.redAsBaseline.failures.slice(0, 5) : undefined });
      }
      case 'conflict': {
        t.conflicts += 1;
        await keepRef(s.repo, `refs/godel/attempts/${s.team}/${t.id}/${t.mergeAttempt}`, r.commit);
        s.ledger.push({ task: t.id, commit: r.commit, outcome: 'conflict', reason: `conflict in ${r.files.join(', ')}; kept as refs/godel/attempts/${s.team}/${t.id}/${t.mergeAttempt}`, at });
        if (t.conflicts > s.settings.maxConflicts) return releaseAndFail(s, t, `merge.conflicts_exhausted: ${t.conflicts} conflicts`);
        return backToWorker(s, t, ctx, (round) => P.conflictPrompt(s.team, t.id, round, r.files, r.commit), { reason: 'merge conflict', files: r.files }, await tip(s));
      }
      case 'red': {
        t.verifyFailures += 1;
        await keepRef(s.repo, `refs/godel/attempts/${s.team}/${t.id}/${t.mergeAttempt}`, r.commit);
        s.ledger.push({ task: t.id, commit: r.commit, outcome: 'red', reason: `verification failed (exit ${r.code}${r.timedOut ? ', timed out' : ''})`, at });
        if (t.verifyFailures > s.settings.maxVerifyFailures) return releaseAndFail(s, t, `merge.verification_exhausted: red ${t.verifyFailures} times`);
        return backToWorker(s, t, ctx, (round) => P.verificationFailedPrompt(s.team, t.id, round, s.verify ?? '', r.output), { reason: 'verification failed', exit: r.code, failures: r.failures?.slice(0, 5) });
      }
      default: {
        const detail = r.kind === 'failed' ? r.detail : (r as { detail?: string }).detail ?? r.kind;
        await keepRef(s.repo, `refs/godel/attempts/${s.team}/${t.id}/${t.mergeAttempt}`, r.commit);
        s.ledger.push({ task: t.id, commit: r.commit, outcome: 'failed', reason: detail, at });
        return releaseAndFail(s, t, `merge.failed: ${detail}`);
      }
    }
  }

  /** A merge that finishes after the team ended (cancelled meanwhile) still goes into the ledger. */
  async function lateMerge(s: TeamState, r: MergeResult): Promise<void> {
    const merged = r.kind === 'merged';
    const entry = s.ledger.find((l) => l.task === r.task && l.commit === r.commit);
    if (entry?.outcome === 'merged' || (entry && !merged)) return;
    const update = { outcome: merged ? ('merged' as const) : ('failed' as const), merged: merged ? r.merged : undefined, reason: merged ? `merged after the team ${s.status}` : `${r.kind} after the team ${s.status}`, at: Date.now() };
    if (entry) Object.assign(entry, update);
    else s.ledger.push({ task: r.task, commit: r.commit, ...update });
    await event(s, 'merge.after_team_ended', { task: r.task, outcome: r.kind, commit: r.commit, merged: merged ? r.merged : null, teamStatus: s.status });
  }

  /** Monitor: a member is gone for good (past its restart intensity, over budget, stopped). */
  async function onMemberLost(s: TeamState, m: MemberState, u: AgentUpdate, ctx: ActorContext): Promise<void> {
    if (m.retired) return;
    m.retired = true;
    const reason = u.reason ?? u.status;
    if (/budget\.exceeded \(team\)/.test(reason)) return finish(s, ctx, 'failed', `budget.exceeded: the team's budget is spent (${reason})`);
    if (m.role === 'coordinator') {
      if (s.status === 'planning') return finish(s, ctx, 'failed', `coordinator lost: ${reason}`);
      return;
    }
    if (m.role === 'reviewer') {
      if (s.reviewing) {
        s.reviewQueue.unshift(s.reviewing);
        s.tasks[s.reviewing].reviews -= 1;
        s.reviewing = undefined;
      }
      if (s.reviewerSeq >= 2) return finish(s, ctx, 'failed', `reviewer lost twice: ${reason}`);
      await event(s, 'monitor.replaced', { agent: m.name, role: m.role, reason }, agentOf(s, m.name));
      addMember(s, ctx, 'reviewer', `reviewer-${++s.reviewerSeq}`);
      return;
    }
    const t = m.task ? s.tasks[m.task] : undefined;
    m.task = undefined;
    if (!t || TERMINAL.has(t.status)) return;
    if (t.status === 'merging' || t.status === 'in_review') {
      // The commit is safe in git; a fresh worker is found if the task comes back.
      t.worker = undefined;
      return;
    }
    if (t.assignments >= s.settings.maxAssignments) {
      await event(s, 'monitor.escalated', { agent: m.name, task: t.id, assignments: t.assignments, reason }, agentOf(s, m.name));
      return setTask(s, t, 'failed', { reason: `escalated: ${t.assignments} workers lost on this task (last: ${reason})` });
    }
    if (t.commit && t.commit !== t.base) await keepRef(s.repo, `refs/godel/attempts/${s.team}/${t.id}/lost-${m.name}`, t.commit);
    t.worker = undefined;
    await event(s, 'monitor.reassigned', { agent: m.name, task: t.id, assignment: t.assignments + 1, reason }, agentOf(s, m.name));
    await setTask(s, t, 'ready', { reason: `worker ${m.name} lost: ${reason}` });
  }

  async function onAgentUpdate(s: TeamState, u: AgentUpdate, ctx: ActorContext): Promise<void> {
    const m = s.members[u.name];
    if (!m || u.seq <= m.lastSeq) return;
    m.lastSeq = u.seq;
    m.status = u.status;
    if (u.worktree) m.worktree = u.worktree;
    if (u.event === 'cleaned_up') return onCleanedUp(s, m, u);
    if (TERMINAL_TEAM.has(s.status)) return;
    switch (u.event) {
      case 'started':
        // A member started with a prompt (the coordinator) is at work from now on.
        if (m.busySince !== undefined) {
          m.status = 'running';
          m.busySince = Date.now();
        }
        if (m.role === 'coordinator') {
          startPool(s, ctx, s.settings.concurrency);
          maybePlan(s, ctx);
        }
        break;
      case 'turn_completed':
        m.busySince = undefined;
        if (m.role === 'coordinator') await onPlan(s, u.text ?? '', ctx);
        else if (m.role === 'reviewer') await onReview(s, m, u.text ?? '', ctx);
        else await onWorkerDone(s, m, ctx);
        break;
      case 'restarted':
        m.restarts = u.restarts ?? m.restarts + 1;
        m.busySince = Date.now();
        await event(s, 'monitor.restarted', { agent: m.name, role: m.role, task: m.task, restarts: m.restarts, reason: u.reason }, agentOf(s, m.name));
        break;
      case 'failed':
      case 'stopped':
        await onMemberLost(s, m, u, ctx);
        break;
    }
  }

  async function monitorTick(s: TeamState, ctx: ActorContext): Promise<void> {
    if (TERMINAL_TEAM.has(s.status)) return;
    const busy = Object.values(s.members).filter((m) => !m.retired && m.busySince !== undefined && BUSY_ROLES.has(m.status));
    if (busy.length > 0) {
      const last = await deps.lastActivity(busy.map((m) => agentOf(s, m.name)));
      const now = Date.now();
      for (const m of busy) {
        const progress = Math.max(m.busySince!, last.get(agentOf(s, m.name)) ?? 0);
        if (now - progress < s.settings.stuckMs) continue;
        m.busySince = now;
        await event(s, 'monitor.stuck', { agent: m.name, role: m.role, task: m.task, idleMs: now - progress, action: 'restart' }, agentOf(s, m.name));
        ctx.tell(agentOf(s, m.name), 'agent.restart', { reason: `stuck: no progress for ${Math.round((now - progress) / 1000)} s` });
      }
    }
    ctx.scheduleReminder('monitor', s.settings.monitorMs);
  }

  async function finish(s: TeamState, ctx: ActorContext, status: 'succeeded' | 'failed' | 'cancelled', reason?: string): Promise<void> {
    if (TERMINAL_TEAM.has(s.status)) return;
    // Merges still queued are withdrawn; one already running may land, and is recorded if it does.
    if (s.order.some((id) => s.tasks[id].status === 'merging')) await deps.withdrawMerges?.(s.team);
    for (const id of s.order) {
      const t = s.tasks[id];
      const m = t.worker ? s.members[t.worker] : undefined;
      if (t.status === 'running' && m?.task === t.id && m.worktree) {
        // Work in progress (a turn stopped by the budget, a cancel): committed, so the keep-failed
        // policy can keep it when the worktree goes.
        t.commit = await commitAll(m.worktree, `${t.title} (unfinished: team ${status})\n\nGodel-Task: ${s.team}/${t.id} (round ${t.round})`).catch(() => t.commit);
      }
      if (t.status === 'merging' && t.commit) s.ledger.push({ task: t.id, commit: t.commit, outcome: 'failed', reason: `team ${status} before the merge finished`, at: Date.now() });
      if (!TERMINAL.has(t.status)) await setTask(s, t, 'cancelled', { reason: `team ${status}` });
    }
    s.status = status;
    s.reason = reason;
    s.finishedAt = Date.now();
    // Every member stops and removes its worktree and branch (merged work is on the target; failed
    // work was kept on a branch as its task ended); each confirms with a `cleaned_up` update.
    s.cleanup ??= emptyCleanup();
    s.cleanup.pending = Object.keys(s.members);
    for (const m of Object.values(s.members)) ctx.tell(agentOf(s, m.name), 'agent.stop', { reason: `team ${status}`, quiet: true, cleanup: true });
    s.cleanup.attemptRefsPruned += await deleteRefs(s.repo, `refs/godel/attempts/${s.team}/`).catch(() => 0);
    ctx.cancelReminder('monitor');
    s.usage = await deps.teamUsage(s.team);
    await event(s, `team.${status}`, {
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

  async function onCleanedUp(s: TeamState, m: MemberState, u: AgentUpdate): Promise<void> {
    const c = s.cleanup;
    if (!c || c.done || !c.pending.includes(m.name)) return;
    c.pending = c.pending.filter((n) => n !== m.name);
    if (u.worktree || u.branch) c.removed.push({ agent: m.name, worktree: u.worktree, branch: u.branch });
    if (c.pending.length > 0) return;
    c.done = true;
    await event(s, 'team.cleaned_up', { removed: c.removed, kept: c.kept, attemptRefsPruned: c.attemptRefsPruned, repo: s.repo });
  }

  return {
    kind: 'team',
    initialState: (id) => initialTeamState(id.key),
    maxAttempts: 3,
    idleTimeoutMs: 3_600_000,
    async receive(s: TeamState, msg: Message, ctx: ActorContext): Promise<TeamState> {
      const p = (msg.payload ?? {}) as Record<string, unknown>;
      if (!senderAllowed(ctx.self.key, msg.type, msg.envelope.from)) {
        await deps.events.append({ type: 'team.message_refused', team: ctx.self.key, data: { type: msg.type, from: msg.envelope.from ?? null, reason: 'not from the internal sender of this message type' } });
        ctx.reply(s);
        return s;
      }
      switch (msg.type) {
        case 'team.start':
          await start(s, p as unknown as StartTeam, ctx);
          break;
        case 'team.agent_update':
          await onAgentUpdate(s, p as unknown as AgentUpdate, ctx);
          break;
        case 'team.baseline_result':
          if (!TERMINAL_TEAM.has(s.status)) await onBaseline(s, p as unknown as BaselineResult, ctx);
          break;
        case 'team.merge_result':
          if (!TERMINAL_TEAM.has(s.status)) await onMergeResult(s, p as unknown as MergeResult, ctx);
          else await lateMerge(s, p as unknown as MergeResult);
          break;
        case 'team.cancel':
          await finish(s, ctx, 'cancelled', String(p.reason ?? 'cancelled by request'));
          break;
        case 'reminder':
          await monitorTick(s, ctx);
          break;
        case 'get':
          break;
        default:
          throw new Error(`team: unknown message ${msg.type}`);
      }
      await schedule(s, ctx);
      ctx.reply(s);
      return s;
    },
  };
}

const TERMINAL_TEAM: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);
