import type { GodelEvent } from '../http';
import { table, type Output } from '../output';

/** What `godel do` prints: one line per event worth showing a person, the dry-run plan. */

type EventView = GodelEvent;

export const short = (agent: string) => agent.replace(/^agent\/[^:]+:/, '');
export const failing = (d: Record<string, unknown>) => ((d.failures as string[] | undefined) ?? []).slice(0, 3).join(' | ');

/** One line per event worth showing a person. */
export function describe(e: EventView): string | undefined {
  const d = e.data;
  const task = d.task ? String(d.task) : '';
  switch (e.type) {
    case 'team.planned':
      return `plan (${String(d.source)}): ${(d.tasks as Array<{ id: string; dependsOn: string[] }>).map((t) => (t.dependsOn.length ? `${t.id} ← ${t.dependsOn.join(',')}` : t.id)).join('; ')}`;
    case 'plan.rejected':
      return `the coordinator's plan was rejected (${(d.problems as string[]).join('; ')}); asking again`;
    case 'task.ready':
    case 'task.in_review':
    case 'task.merging':
    case 'task.cancelled':
    case 'task.failed':
      return `task ${task}: ${e.type.slice(5)}${d.reason ? ` (${String(d.reason)})` : ''}`;
    case 'task.running':
      return `task ${task}: running on ${String(d.worker)}${d.reason ? ` (${String(d.reason)})` : ''}`;
    case 'task.done':
      return `task ${task}: done${d.merged ? `, merged ${String(d.merged).slice(0, 10)}${d.commits !== undefined ? ` (${String(d.commits)} commit${d.commits === 1 ? '' : 's'})` : ''}` : ` (${d.verdict === 'approve' ? 'review accepted' : 'no merge'})`}${d.redAsBaseline ? ' — verification red as before the team started, not charged to it' : ''}`;
    case 'task.no_changes':
      return d.action === 'failed' ? `task ${task}: no change again — the task fails (task.no_changes)` : `task ${task}: ${short(e.agent)}'s turn left no change in its worktree; told once`;
    case 'task.work_kept':
      return `task ${task}: its unmerged work is kept on branch ${String(d.branch)} in ${String(d.repo)}`;
    case 'baseline.finished':
      return d.ok
        ? `baseline: the verification passes on the target before any change (${String(d.ms)} ms)`
        : `baseline: the verification FAILS on the target before any change (exit ${String(d.code)}): ${failing(d) || 'see the output'}${d.allowRedBase ? ' — allowed (--allow-red-base)' : ' — the plan must fix it'}`;
    case 'provider.failover':
      return `${short(e.agent)}: provider failover ${String(d.from)} → ${String(d.to)} (${String(d.cause).slice(0, 160)})`;
    case 'merge.red':
      return `merge of ${task}: verification red (exit ${String(d.code)}${d.timedOut ? ', timed out' : ''}): ${failing(d) || 'see the output'}`;
    case 'review.changes_requested':
      return `review of ${task}: changes requested — ${String(d.comments)}`;
    case 'review.approved':
      return `review of ${task}: approved`;
    case 'merge.verify_finished':
      return `merge of ${task}: verification ${d.ok ? 'green' : d.asBaseline ? 'red with only the failures the target already had' : 'red'} (${String(d.ms)} ms)`;
    case 'merge.conflict':
      return `merge of ${task}: conflict in ${(d.files as string[]).join(', ')}`;
    case 'merge.blocked':
      return `merge of ${task}: blocked — ${String(d.detail)} (will retry)`;
    case 'team.remote_unavailable':
      return `the remote ${String(d.repo ?? '')} is unavailable (${String(d.code)})${typeof d.since === 'number' ? ` for ${Math.round((Date.parse(e.at) - d.since) / 1000)} s` : ''}: the team waits for it and retries — check that it is up and accepts the server's credentials`;
    case 'merge.remote_waiting':
      return `merge of ${task}: the remote refuses or cannot be reached (${String(d.code)}) for ${String(d.waitedS)} s; waiting for it, next try in ${Math.round(Number(d.retryInMs) / 1000)} s`;
    case 'team.remote_available':
      return `the remote ${String(d.repo ?? '')} is reachable again: the team goes on`;
    case 'monitor.reprompted':
      return `monitor: ${String(d.agent)} showed no sign of its prompt after ${Math.round(Number(d.waitedMs) / 1000)} s; sent again (${String(d.resent)})`;
    case 'monitor.unresponsive':
      return `monitor: ${String(d.agent)} never took its prompt (sent ${String(d.resent)} times); it is replaced${task ? ` and task ${task} handed on` : ''}`;
    case 'team.remote_refs_left':
      return `the team's refs could not be deleted from ${String(d.repo)} (${String(d.code)}); delete refs/godel/*/<team>/ there by hand`;
    case 'monitor.restarted':
    case 'monitor.stuck':
    case 'monitor.reassigned':
    case 'monitor.escalated':
    case 'monitor.replaced':
      return `monitor: ${e.type.slice(8)} ${String(d.agent)}${task ? ` (task ${task})` : ''}${d.reason ? `: ${String(d.reason)}` : ''}`;
    case 'budget.exceeded': {
      const over = d.overshoot as { tokens?: number; costUsd?: number } | undefined;
      // The overshoot is the same whether counted on the agent's remaining share or on the whole budget.
      const budget = (d.scope === 'team' ? d.teamBudget : d.budget) as { tokens?: number; costUsd?: number } | undefined;
      const measured =
        over?.tokens !== undefined
          ? `; ${over.tokens} tokens over the ${d.scope === 'team' ? "team's" : "agent's"} budget of ${String(budget?.tokens)} (one model response: ${String(d.lastResponseTokens)})`
          : over?.costUsd !== undefined
            ? `; $${over.costUsd.toFixed(4)} over the budget of $${String(budget?.costUsd)}`
            : '';
      return `budget exceeded (${String(d.scope)}) by ${short(e.agent)}${d.midTurn ? ', stopped mid-turn' : ''}${measured}`;
    }
    default:
      return undefined;
  }
}

export function printPlan(out: Output, plan: Record<string, unknown>): void {
  out.print(`Plan (dry run, nothing started): repository ${String(plan.repo)}, target ${String(plan.target)}, verification ${plan.verify ? `\`${String(plan.verify)}\`` : 'none'}`);
  out.print(`Team: ${(plan.members as string[]).join(', ')}`);
  const tasks = plan.tasks;
  if (typeof tasks === 'string') out.print(`Tasks: ${tasks}`);
  else out.print(table(['task', 'role', 'depends on', 'title'], (tasks as Array<{ id: string; role: string; dependsOn: string[]; title: string }>).map((t) => [t.id, t.role, t.dependsOn.join(', ') || '-', t.title])));
}
