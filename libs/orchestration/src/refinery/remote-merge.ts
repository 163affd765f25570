import { isWorkspaceError, type RepoMirrors } from '@godel/workspace';
import { git, isAncestor, mergeToTarget, revParse } from './git-ops';
import type { MergeOutcome, MergeRequest } from './merge-types';

/** Where the team's instance leaves an approved commit on the remote, so any instance can merge it. */
export function approvedRef(team: string, task: string, attempt: number): string {
  return `refs/godel/approved/${team}/${task}/${attempt}`;
}

/** Pushed atomically with the target: a re-run merge that finds it in the target merged already. */
export function mergedRef(team: string, task: string, attempt: number): string {
  return `refs/godel/merged/${team}/${task}/${attempt}`;
}

export interface RemoteMergeRequest extends Omit<MergeRequest, 'repo' | 'publish'> {
  /** The repository URL. */
  url: string;
  mirrors: RepoMirrors;
  team: string;
  task: string;
  attempt: number;
  /** Rebase-and-push rounds when the remote keeps moving (default 5). */
  maxRaces?: number;
}

/**
 * A merge into a remote target: fetch into this instance's mirror, rebase and verify there
 * (mergeToTarget), then push the target as a fast-forward only — a compare-and-swap on the tip the
 * rebase used (`--force-with-lease`), atomically with `mergedRef`. A remote that moved meanwhile
 * is fetched and rebased again, up to `maxRaces` times. Idempotent: a job re-run after its
 * host died finds `mergedRef` in the target (or the approved commit itself) and reports merged
 * without pushing again; a host that died before the push left the remote as it was.
 */
export async function mergeToRemote(req: RemoteMergeRequest): Promise<MergeOutcome> {
  const { url, mirrors, target } = req;
  const marker = mergedRef(req.team, req.task, req.attempt);
  const mirror = await mirrors.ensure(url);
  const maxRaces = req.maxRaces ?? 5;
  for (let race = 1; ; race++) {
    const tip = await revParse(mirror, `refs/heads/${target}`);
    if (!tip) return { kind: 'blocked', detail: `target branch ${target} does not exist on ${url}` };
    const done = await mirrors.remoteRef(url, marker);
    if (done) {
      await mirrors.fetchRefs(url, [`+${marker}:${marker}`]);
      if (await isAncestor(mirror, done, tip)) return { kind: 'merged', merged: done, previousTip: tip, verifyMs: 0, alreadyMerged: true, commits: 0 };
    }
    if (!(await revParse(mirror, req.commit))) {
      const approved = approvedRef(req.team, req.task, req.attempt);
      await mirrors.fetchRefs(url, [`+${approved}:${approved}`]).catch((err: unknown) => {
        if (!isWorkspaceError(err, 'workspace.remote_ref_missing')) throw err;
      });
      if (!(await revParse(mirror, req.commit))) return { kind: 'blocked', detail: `the approved commit ${req.commit} is neither in this instance's mirror nor at ${approved} on the remote` };
    }
    const outcome = await mergeToTarget({
      ...req,
      repo: mirror,
      publish: async (rebased, base) => {
        try {
          await mirrors.push(url, [`${rebased}:refs/heads/${target}`, `+${rebased}:${marker}`], { expect: { [`refs/heads/${target}`]: base }, atomic: true });
        } catch (err) {
          if (isWorkspaceError(err, 'workspace.non_fast_forward')) return false;
          throw err;
        }
        await git(mirror, 'update-ref', `refs/heads/${target}`, rebased);
        return true;
      },
    });
    if (outcome.kind !== 'blocked' || !outcome.moved || race >= maxRaces) return outcome;
    await mirrors.fetch(url);
  }
}

/** Before a merge is queued: the approved commit goes to the remote (`approvedRef`), from the team's mirror. */
export async function publishApproved(mirrors: RepoMirrors, url: string, team: string, task: string, attempt: number, commit: string): Promise<void> {
  await mirrors.push(url, [`+${commit}:${approvedRef(team, task, attempt)}`]);
}

/**
 * What a team is told when a merge into a remote target failed for good on the remote itself
 * (after the refinery's tries): the error's code, the remote, the target, and what an operator
 * does about it. Undefined for any other failure (its message is the detail, as before).
 */
export function remoteFailureDetail(err: unknown, url: string, target: string, tries: number): string | undefined {
  if (!isWorkspaceError(err)) return undefined;
  const advice: Partial<Record<string, string>> = {
    'workspace.auth_failed': `the remote ${url} refused the server's git credentials; fix GODEL_GIT_CREDENTIALS (or the token's rights to push ${target}) on the instances, then run the task again`,
    'workspace.unreachable': `the remote ${url} could not be reached in ${tries} tries; check that it is up and reachable from the instances, then run the task again`,
    'workspace.push_refused': `the remote ${url} refused the push to ${target} (a hook or a branch protection rule); allow Godel's fast-forward pushes to ${target}, then run the task again`,
  };
  const what = advice[err.code];
  return what ? `${err.code}: ${what} (${err.message.split('\n')[0].slice(0, 300)})` : undefined;
}
