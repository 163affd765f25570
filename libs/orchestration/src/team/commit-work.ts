import type { CustomEffect } from '@godel/actors';
import { isWorkspaceError } from '@godel/workspace';
import { git } from '../refinery/git-ops';
import type { TeamRepo } from './team-repo';
import type { GitAction, WorkCommitted } from './turn';

type CommitWork = Extract<GitAction, { op: 'commit_work' }>;

/**
 * Commits what is in `worktree` once per effect id: the commit carries the id as a trailer
 * (`Godel-Effect: <id>`), so a re-run finds it at HEAD and answers it; a clean worktree answers its
 * HEAD. Either way, running the effect again makes no second commit.
 */
export async function commitOnce(worktree: string, message: string, id: string): Promise<string> {
  const trailer = `Godel-Effect: ${id}`;
  const head = await git(worktree, 'log', '-1', '--format=%B').catch(() => '');
  if (!head.split('\n').includes(trailer)) {
    await git(worktree, 'add', '-A');
    const staged = await git(worktree, 'diff', '--cached', '--name-only');
    if (staged) await git(worktree, 'commit', '-q', '--no-verify', '-m', `${message}\n${trailer}`);
  }
  return git(worktree, 'rev-parse', 'HEAD');
}

/**
 * The `commit_work` effect: the worker's worktree committed (for a repository URL: the member's
 * worktree on this instance, then pushed as its work, as the team's other writes into it are),
 * and the answer told to the team as `team.work_committed` — the commit, or the error that kept
 * it from being made (the team decides what follows; the effect itself never fails for it, so the
 * outbox behind it is not held up). The answer's envelope id comes from the effect's id: a re-run
 * sends nothing twice.
 */
export async function runCommitWork(repos: TeamRepo, a: CommitWork, e: CustomEffect): Promise<void> {
  const answer: WorkCommitted = { task: a.task, round: a.round, assignment: a.assignment, purpose: a.purpose };
  try {
    if (!repos.isRemote(a.repo)) answer.commit = await commitOnce(a.worktree, a.message, e.id);
    else {
      const here = await repos.worktree(a.repo, a.worktree);
      answer.commit = await commitOnce(here, a.message, e.id);
      // Best effort: a remote that is down or refuses gets it with the member's next push, and an
      // approved commit is pushed before its merge.
      await repos.published(a.repo, here).catch((err: unknown) => (isWorkspaceError(err) ? undefined : Promise.reject(err)));
    }
  } catch (err) {
    answer.error = err instanceof Error ? err.message : String(err);
  }
  await e.tell(e.from, 'team.work_committed', answer);
}
