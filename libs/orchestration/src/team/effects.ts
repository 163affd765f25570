import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { ActorContext, EffectExecutor } from '@godel/actors';
import type { EventLog } from '@godel/persistence';
import { isWorkspaceError } from '@godel/workspace';
import type { MergeJob } from '../refinery/refinery';
import { git, resetWorktree } from '../refinery/git-ops';
import { runCommitWork } from './commit-work';
import { RemoteWait } from './remote-wait';
import { TeamRepo, type TeamRepoOptions } from './team-repo';
import type { GitAction, TeamEffect, TeamEvent } from './turn';

/** The custom effect types of the team actor (ActorDefinition.effects). */
export const TEAM_EFFECTS = { event: 'team.event', git: 'team.git', merge: 'team.merge', withdraw: 'team.withdraw_merges' } as const;

export interface TeamEffectDeps {
  events: EventLog;
  enqueueMerge(job: MergeJob): Promise<unknown>;
  withdrawMerges?(team: string): Promise<unknown>;
  /** This instance's mirrors and agent worktrees of repository URLs (issue 12); absent: teams work on paths only. */
  repos?: TeamRepoOptions;
  /** How long effects wait for a URL team's remote that is down or refuses (default 10 min); then the team fails. */
  remoteWaitMs?: number;
  /** Fails a team (a `team.cancel` with `fail`): its remote stayed unavailable past `remoteWaitMs`. */
  failTeam?(team: string, reason: string): Promise<void>;
}

type Fields = Record<string, unknown>;
const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTeamEvent = (p: Fields): p is Fields & TeamEvent => typeof p.type === 'string' && typeof p.team === 'string' && isRecord(p.data) && typeof p.at === 'number';
const isGitAction = (p: Fields): p is Fields & GitAction => p.op === 'keep_ref' || p.op === 'delete_refs' || p.op === 'delete_team_refs' || p.op === 'reset_worktree' || p.op === 'commit_work';
const isMergeJob = (p: Fields): p is Fields & MergeJob => typeof p.team === 'string' && typeof p.task === 'string' && typeof p.repo === 'string' && typeof p.commit === 'string' && typeof p.attempt === 'number';

/** Typed access to an effect's payload: it was written by this kind's own turn, checked all the same. */
function payloadOf<T extends Fields>(e: { type: string; payload: unknown }, fits: (p: Fields) => p is T): T {
  if (isRecord(e.payload) && fits(e.payload)) return e.payload;
  throw new Error(`team effect ${e.type}: payload does not fit`);
}

/**
 * Puts a worktree at `commit` once per effect id: the effect's id is kept in the worktree's git dir,
 * so running the effect again (after a crash) does not wipe what the agent did since the first run.
 */
async function resetOnce(worktree: string, commit: string, id: string): Promise<void> {
  const gitDir = await git(worktree, 'rev-parse', '--git-dir');
  const marker = join(isAbsolute(gitDir) ? gitDir : join(worktree, gitDir), 'godel-reset-effect');
  if ((await readFile(marker, 'utf8').catch(() => '')) === id) return;
  await resetWorktree(worktree, commit);
  await writeFile(marker, id);
}

/**
 * The executors of the team's effects, idempotent by effect id: an event is appended with the id
 * as its idempotency key (stored once); refs are set to a fixed commit or deleted; a worktree reset
 * runs once per id; a worker's worktree is committed once per id and the commit told back to the
 * team (`team.work_committed`, commit-work.ts); a merge job has a deterministic BullMQ job id (team, task, attempt), so queuing
 * it again is a no-op; withdrawing merges twice withdraws nothing more.
 */
export function teamEffectExecutors(deps: TeamEffectDeps): Record<string, EffectExecutor> {
  const repos = new TeamRepo(deps.repos);
  const remote = new RemoteWait(deps, repos);
  return {
    [TEAM_EFFECTS.event]: async (e) => {
      const ev = payloadOf(e, isTeamEvent);
      await deps.events.append({ type: ev.type, team: ev.team, agent: ev.agent, correlationId: ev.correlationId, data: ev.data, at: ev.at, idemKey: e.id });
    },
    [TEAM_EFFECTS.git]: (e) => remote.run(e, () => runGit(e)),
    [TEAM_EFFECTS.merge]: (e) =>
      remote.run(e, async () => {
        await deps.enqueueMerge(payloadOf(e, isMergeJob));
      }),
    [TEAM_EFFECTS.withdraw]: async (e) => {
      const p = payloadOf(e, (f): f is Fields & { team: string } => typeof f.team === 'string');
      await deps.withdrawMerges?.(p.team);
    },
  };

  async function runGit(e: Parameters<EffectExecutor>[0]): Promise<void> {
    const a = payloadOf(e, isGitAction);
    if (a.op === 'keep_ref') await repos.keepRef(a.repo, a.ref, a.commit);
    else if (a.op === 'delete_refs') await repos.deleteRefs(a.repo, a.prefix);
    else if (a.op === 'commit_work') await runCommitWork(repos, a, e);
    else if (a.op === 'delete_team_refs') {
      // Best effort: a remote that is down or refuses leaves the refs there, said in an event.
      const data = await repos.deleteTeamRefs(a.repo, a.team).then(
        (refs) => ({ type: 'team.remote_refs_deleted', data: { repo: a.repo, refs: refs.length } }),
        (err: unknown) => {
          if (!isWorkspaceError(err)) throw err;
          return { type: 'team.remote_refs_left', data: { repo: a.repo, code: err.code, error: err.message.slice(0, 500) } };
        },
      );
      await deps.events.append({ type: data.type, team: a.team, data: data.data, at: Date.now(), idemKey: e.id });
    } else if (!a.repo || !repos.isRemote(a.repo)) await resetOnce(a.worktree, a.commit, e.id);
    else {
      // A URL: the member's worktree on this instance (rebuilt from its pushed work after a
      // takeover), reset, and pushed as its work so the next takeover rebuilds it reset.
      await repos.have(a.repo, basename(dirname(a.worktree)), [a.commit]);
      const here = await repos.worktree(a.repo, a.worktree, a.commit);
      await resetOnce(here, a.commit, e.id);
      await repos.published(a.repo, here);
    }
  }
}

/** Hands a reduced turn's effects to the runtime, in order: they commit with the state and run after. */
export function applyTeamEffects(ctx: ActorContext, effects: TeamEffect[]): void {
  for (const e of effects) {
    switch (e.kind) {
      case 'tell':
        ctx.tell(e.to, e.type, e.payload);
        break;
      case 'event':
        ctx.effect(TEAM_EFFECTS.event, e.event);
        break;
      case 'git':
        ctx.effect(TEAM_EFFECTS.git, e.action);
        break;
      case 'merge':
        ctx.effect(TEAM_EFFECTS.merge, e.job);
        break;
      case 'withdraw_merges':
        ctx.effect(TEAM_EFFECTS.withdraw, { team: e.team });
        break;
      case 'reminder':
        ctx.scheduleReminder(e.name, e.delayMs);
        break;
      case 'cancel_reminder':
        ctx.cancelReminder(e.name);
        break;
    }
  }
}
