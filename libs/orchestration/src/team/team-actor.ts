import type { ActorDefinition } from '@godel/actors';
import { isWorkspaceError } from '@godel/workspace';
import { diffBetween, revParse, sameTree } from '../refinery/git-ops';
import { REFINERY_SENDER } from '../refinery/refinery';
import { applyTeamEffects, TEAM_EFFECTS, teamEffectExecutors, type TeamEffectDeps } from './effects';
import { toTeamMessage } from './messages';
import { reduceTeam } from './reducer';
import { TeamRepo } from './team-repo';
import { initialTeamState, type TeamState } from './team-state';
import type { TeamReads } from './turn';

export interface TeamActorDeps extends TeamEffectDeps {
  /** Latest event time (ms) per agent address, for stuck detection. */
  lastActivity(agents: string[]): Promise<Map<string, number>>;
  /** The id of the last prompt each agent took, for prompts that never arrived. */
  promptsTaken(agents: string[]): Promise<Map<string, string>>;
  /** Tokens and cost summed over the team's agents. */
  teamUsage(team: string): Promise<{ total: number; costUsd: number }>;
}

/**
 * Whether `from` may send `type` to team `team`. Agent updates come from the team's own agents
 * (the runtime sets `from` to the sending actor's address), merge results from the refinery, work
 * commits from the team itself (its `commit_work` effect);
 * anything else claiming to be one (e.g. a forged message with no sender) is refused.
 */
export function senderAllowed(team: string, type: string, from: string | undefined): boolean {
  if (type === 'team.agent_update') return typeof from === 'string' && from.startsWith(`agent/${team}:`);
  if (type === 'team.merge_result' || type === 'team.baseline_result') return from === REFINERY_SENDER;
  // The answer of the team's own commit_work effect: sent from the team's address by the runtime.
  if (type === 'team.work_committed') return from === teamAddress(team);
  if (type === 'team.start') return !from?.startsWith('api:');
  return true;
}

export function teamAddress(team: string): string {
  return `team/${team}`;
}

/**
 * The team's reads, resolved on this instance (issue 12): for a repository URL, git runs in this
 * instance's mirror — the target's tip fetched once per turn, missing commits fetched from the
 * team's refs on the remote — and a member's worktree is the one here (rebuilt from its pushed work
 * after a takeover). `s` is the turn's state.
 */
function teamReads(deps: TeamActorDeps, repos: TeamRepo, s: TeamState): TeamReads {
  const fetched = new Map<string, Promise<string>>();
  // A remote that is down or refuses for a while does not fail the turn (its message would be lost
  // after the turn's tries): the mirror's last tip is read; the refinery rebases onto the real one.
  const fetchOrStale = (repo: string) => repos.dir(repo, true).catch((err: unknown) => (isWorkspaceError(err, 'workspace.unreachable') || isWorkspaceError(err, 'workspace.auth_failed') ? repos.dir(repo) : Promise.reject(err)));
  const fresh = (repo: string) => fetched.get(repo) ?? fetched.set(repo, fetchOrStale(repo)).get(repo)!;
  const objects = async (repo: string, commits: string[]) => {
    await repos.have(repo, s.team, commits);
    return repos.dir(repo);
  };
  return {
    tip: async (repo, branch) => revParse(await fresh(repo), branch),
    diff: async (repo, base, head) => diffBetween(await objects(repo, [base, head]), base, head),
    // A URL team's worktrees share the mirror's objects: compared there, wherever the member ran.
    sameTree: async (cwd, a, b) => sameTree(repos.isRemote(s.repo) ? await objects(s.repo, [a, b]) : cwd, a, b),
    refsUnder: (repo, prefix) => repos.refsUnder(repo, prefix),
    lastActivity: (agents) => deps.lastActivity(agents),
    promptsTaken: (agents) => deps.promptsTaken(agents),
    teamUsage: (team) => deps.teamUsage(team),
  };
}

/**
 * The team actor (`team/<team>`): owns an intent's task DAG and its members. It starts the agents
 * (coordinator, reviewer, a pool of workers), hands ready tasks to idle workers, sends finished
 * work to review and approved commits to the refinery, and supervises its agents as the monitor
 * (see monitor.ts). Its decisions are a reducer (reducer.ts: plan, schedule, review, merge,
 * monitor, finish, one file each); what they do to the world — events, prompts, git work, merge
 * jobs, reminders — leaves the turn as effects committed with the state and run after commit with
 * deterministic ids by idempotent executors (effects.ts). Time is the turn's (`ctx.now()`). All of
 * a team's actors share its affinity key, so the team, its agents and their worktrees live on one
 * instance; git work here is local (for a repository URL, on this instance's mirror: team-repo.ts).
 */
export function teamActor(deps: TeamActorDeps): ActorDefinition<TeamState> {
  const repos = new TeamRepo(deps.repos);
  return {
    kind: 'team',
    initialState: (id) => initialTeamState(id.key),
    maxAttempts: 3,
    idleTimeoutMs: 3_600_000,
    effects: teamEffectExecutors(deps),
    async receive(s, msg, ctx) {
      if (!senderAllowed(ctx.self.key, msg.type, msg.envelope.from)) {
        const data = { type: msg.type, from: msg.envelope.from ?? null, reason: 'not from the internal sender of this message type' };
        ctx.effect(TEAM_EFFECTS.event, { type: 'team.message_refused', team: ctx.self.key, data, at: ctx.now() });
        ctx.reply(s);
        return s;
      }
      const m = toTeamMessage(msg);
      // Only the server fails a team through a cancel (its remote gone, effects.ts); a client cancels.
      if (m.type === 'team.cancel' && msg.envelope.from?.startsWith('api:')) delete m.payload.fail;
      const { state, effects } = await reduceTeam(s, m, ctx.now(), teamReads(deps, repos, s), ctx.selfAddress);
      applyTeamEffects(ctx, effects);
      ctx.reply(state);
      return state;
    },
  };
}
