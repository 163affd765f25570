import type { AgentUpdate } from '@godel/agents';
import { looksLikeUrl } from '@godel/workspace';
import { emptyCleanup } from './baseline';
import { TERMINAL_TEAM } from './members';
import { setTask } from './tasks';
import { TERMINAL, type MemberState } from './team-state';
import type { TeamTurn } from './turn';

/** The team ends: queued merges withdrawn, open tasks cancelled, every member stopped and cleaned up. */
export async function finish(t: TeamTurn, status: 'succeeded' | 'failed' | 'cancelled', reason?: string): Promise<void> {
  const s = t.s;
  if (TERMINAL_TEAM.has(s.status)) return;
  // Merges still queued are withdrawn; one already running may land, and is recorded if it does.
  if (s.order.some((id) => s.tasks[id].status === 'merging')) t.effects.push({ kind: 'withdraw_merges', team: s.team });
  for (const id of s.order) {
    const task = s.tasks[id];
    const m = task.worker ? s.members[task.worker] : undefined;
    if (task.status === 'running' && m?.task === task.id && m.worktree) {
      // Work in progress (a turn stopped by the budget, a cancel): committed, so the keep-failed
      // policy can keep it when the worktree goes.
      task.commit = await t.io.commitAll(m.worktree, `${task.title} (unfinished: team ${status})\n\nGodel-Task: ${s.team}/${task.id} (round ${task.round})`).catch(() => task.commit);
    }
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
