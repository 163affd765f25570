import type { MergeResult } from '../refinery/refinery';
import * as P from './prompts';
import { backToWorker, releaseAndFail, setTask } from './tasks';
import type { TeamTurn } from './turn';

/** The refinery's outcome of a task's merge attempt: done, or back to its worker, or failed. */
export async function onMergeResult(t: TeamTurn, r: MergeResult): Promise<void> {
  const s = t.s;
  const task = s.tasks[r.task];
  if (!task || task.status !== 'merging' || r.attempt !== task.mergeAttempt) return;
  const attemptRef = `refs/godel/attempts/${s.team}/${task.id}/${task.mergeAttempt}`;
  switch (r.kind) {
    case 'merged': {
      task.merged = r.merged;
      s.ledger.push({ task: task.id, commit: r.commit, outcome: 'merged', merged: r.merged, commits: r.commits, at: t.now });
      const m = task.worker ? s.members[task.worker] : undefined;
      if (m?.task === task.id) m.task = undefined;
      if (task.fixesBaseline && s.baseline) s.baseline.fixed = true;
      return setTask(t, task, 'done', { merged: r.merged, commits: r.commits, verifyMs: r.verifyMs, alreadyMerged: r.alreadyMerged, redAsBaseline: r.redAsBaseline ? r.redAsBaseline.failures.slice(0, 5) : undefined });
    }
    case 'conflict': {
      task.conflicts += 1;
      t.keepRef(attemptRef, r.commit);
      s.ledger.push({ task: task.id, commit: r.commit, outcome: 'conflict', reason: `conflict in ${r.files.join(', ')}; kept as ${attemptRef}`, at: t.now });
      if (task.conflicts > s.settings.maxConflicts) return releaseAndFail(t, task, `merge.conflicts_exhausted: ${task.conflicts} conflicts`);
      return backToWorker(t, task, (round) => P.conflictPrompt(s.team, task.id, round, r.files, r.commit), { reason: 'merge conflict', files: r.files }, await t.tip());
    }
    case 'red': {
      task.verifyFailures += 1;
      t.keepRef(attemptRef, r.commit);
      s.ledger.push({ task: task.id, commit: r.commit, outcome: 'red', reason: `verification failed (exit ${r.code}${r.timedOut ? ', timed out' : ''})`, at: t.now });
      if (task.verifyFailures > s.settings.maxVerifyFailures) return releaseAndFail(t, task, `merge.verification_exhausted: red ${task.verifyFailures} times`);
      return backToWorker(t, task, (round) => P.verificationFailedPrompt(s.team, task.id, round, s.verify ?? '', r.output), { reason: 'verification failed', exit: r.code, failures: r.failures?.slice(0, 5) });
    }
    default: {
      const detail = 'detail' in r && typeof r.detail === 'string' ? r.detail : r.kind;
      t.keepRef(attemptRef, r.commit);
      s.ledger.push({ task: task.id, commit: r.commit, outcome: 'failed', reason: detail, at: t.now });
      return releaseAndFail(t, task, `merge.failed: ${detail}`);
    }
  }
}

/** A merge that finishes after the team ended (cancelled meanwhile) still goes into the ledger. */
export function lateMerge(t: TeamTurn, r: MergeResult): void {
  const s = t.s;
  const merged = r.kind === 'merged';
  const entry = s.ledger.find((l) => l.task === r.task && l.commit === r.commit);
  if (entry?.outcome === 'merged' || (entry && !merged)) return;
  const update = { outcome: merged ? ('merged' as const) : ('failed' as const), merged: merged ? r.merged : undefined, reason: merged ? `merged after the team ${s.status}` : `${r.kind} after the team ${s.status}`, at: t.now };
  if (entry) Object.assign(entry, update);
  else s.ledger.push({ task: r.task, commit: r.commit, ...update });
  t.event('merge.after_team_ended', { task: r.task, outcome: r.kind, commit: r.commit, merged: merged ? r.merged : null, teamStatus: s.status });
}
