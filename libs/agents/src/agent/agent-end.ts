import type { AgentState } from './agent-state';
import { ACTIVE, type AgentTurn } from './agent-turn';
import { worktreeHere, worktreesOf } from './agent-repo';
import type { AgentStop } from './messages';

/**
 * The agent fails: its process goes; its worktree is kept for inspection (marked `failed`, which the
 * janitor's keepFailed policy leaves alone) unless `cleanup` and keepFailedWorktrees is off.
 */
export async function fail(t: AgentTurn, s: AgentState, reason: string, cleanup: boolean): Promise<AgentState> {
  const { deps } = t;
  await deps.host.stop(t.self).catch(() => undefined);
  if (s.worktree && s.repo) {
    const wm = await worktreesOf(deps, s.repo).catch(() => undefined);
    if (!wm) {
      // The repository is gone or unreachable: nothing to mark.
    } else if (cleanup && deps.keepFailedWorktrees === false) {
      await wm.remove(s.worktree, { force: true, deleteBranch: true }).catch(() => undefined);
      s.worktree = undefined;
    } else {
      await wm.setStatus(s.worktree, 'failed').catch(() => undefined);
    }
  }
  s.status = 'failed';
  s.reason = reason;
  t.emit(s, 'agent.failed', { reason });
  t.notify(s, 'failed');
  return s;
}

/** Removes the agent's worktree and its branch (its team ended; merged work is on the target). */
export async function removeWorktree(t: AgentTurn, s: AgentState): Promise<void> {
  // A URL repository's worktree is per instance: the one here (none, if the agent never ran here since a move).
  const worktree = worktreeHere(t.deps, s);
  const branch = s.branch;
  if (worktree && s.repo) {
    await worktreesOf(t.deps, s.repo)
      .then((wm) => wm.remove(worktree, { force: true, deleteBranch: true }))
      .catch((err: unknown) => t.emit(s, 'agent.cleanup_failed', { worktree, error: (err as Error).message }));
    t.emit(s, 'agent.worktree_removed', { worktree, branch });
  }
  s.worktree = undefined;
  t.notify(s, 'cleaned_up', { worktree, branch });
}

/** `agent.stop`: the process goes (a queued start gives its place up); with `cleanup`, the worktree too. */
export async function stop(t: AgentTurn, s: AgentState, p: AgentStop): Promise<AgentState> {
  await t.deps.host.stop(t.self);
  s.queue = undefined;
  if (ACTIVE.has(s.status) || s.status === 'preparing' || s.status === 'new') {
    s.status = 'stopped';
    s.reason = String(p.reason ?? 'stopped by request');
    t.emit(s, 'agent.stopped', { reason: s.reason });
    if (!p.quiet) t.notify(s, 'stopped');
  }
  t.ctx.cancelReminder('heartbeat');
  if (p.cleanup) await removeWorktree(t, s);
  return s;
}
