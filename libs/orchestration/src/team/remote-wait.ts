import type { EffectExecutor } from '@godel/actors';
import type { EventLog } from '@godel/persistence';
import { isWorkspaceError } from '@godel/workspace';
import { keepRef } from '../refinery/git-ops';
import type { TeamRepo } from './team-repo';

type Effect = Parameters<EffectExecutor>[0];

/** What RemoteWait needs of the team's effect dependencies (TeamEffectDeps). */
export interface RemoteWaitDeps {
  events: Pick<EventLog, 'append'>;
  remoteWaitMs?: number;
  failTeam?(team: string, reason: string): Promise<void>;
}
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRemoteDown = (err: unknown) => isWorkspaceError(err, 'workspace.unreachable') || isWorkspaceError(err, 'workspace.auth_failed');

/**
 * Team effects that need the remote (a URL team's git work, an approved commit pushed before its
 * merge) while the remote is down or refuses the server's credentials. Within `remoteWaitMs` of the
 * first failure (per remote, on this instance) the effect is said once in `team.remote_unavailable`
 * (the remote, the code, the error) and thrown, so the runtime runs it again: the team waits for
 * its remote instead of going on without the work landing there. Past it, the team is failed once
 * (`remote.unavailable: …` naming the remote and what to do) and the effects give up — a ref the
 * team keeps (failed work) is kept in this instance's mirror instead, so no approved commit is lost.
 * A success on the remote resets the clock.
 */
export class RemoteWait {
  /** Per remote: since when it fails, and its last failure (a failure long after the last one starts a new wait). */
  private readonly down = new Map<string, { since: number; last: number }>();
  private readonly failed = new Set<string>();

  constructor(
    private readonly deps: RemoteWaitDeps,
    private readonly repos: TeamRepo,
  ) {}

  async run(e: Effect, run: () => Promise<void>): Promise<void> {
    const repo = isRecord(e.payload) && typeof e.payload.repo === 'string' ? e.payload.repo : undefined;
    try {
      await run();
      if (repo) this.down.delete(repo);
      return;
    } catch (err) {
      if (!repo || !isRemoteDown(err)) throw err;
      const team = e.from.replace(/^team\//, '');
      const now = Date.now();
      const wait = this.deps.remoteWaitMs ?? 600_000;
      const prev = this.down.get(repo);
      const since = prev && now - prev.last < wait ? prev.since : now;
      this.down.set(repo, { since, last: now });
      const code = isWorkspaceError(err) ? err.code : 'workspace.unreachable';
      const error = err instanceof Error ? err.message.slice(0, 500) : String(err);
      if (now - since < wait || !this.deps.failTeam) {
        await this.event(team, 'team.remote_unavailable', `${e.id}:remote`, { repo, code, effect: e.type, error, retrying: true });
        throw err;
      }
      await this.giveUp(e, team, repo, code, Math.round((now - since) / 1000), error);
    }
  }

  private async giveUp(e: Effect, team: string, repo: string, code: string, seconds: number, error: string): Promise<void> {
    const p = isRecord(e.payload) ? e.payload : {};
    // Kept work stays on this instance's disk at least (the mirror), where an operator can push it.
    if (p.op === 'keep_ref' && typeof p.ref === 'string' && typeof p.commit === 'string') await keepRef(await this.repos.dir(repo), p.ref, p.commit);
    await this.event(team, 'team.remote_given_up', `${e.id}:given_up`, { repo, code, effect: e.type, op: p.op ?? null, ref: p.ref ?? null, error });
    if (this.failed.has(team)) return;
    this.failed.add(team);
    const what = code === 'workspace.auth_failed' ? "accepts the server's git credentials (GODEL_GIT_CREDENTIALS)" : 'is up and reachable from the instances';
    const reason = `remote.unavailable: the remote ${repo} was unavailable for ${seconds} s (${code}); check that it ${what}, then start the intent again — work that could not be pushed is kept in this instance's mirror of it`;
    await this.deps.failTeam!(team, reason);
  }

  private async event(team: string, type: string, idemKey: string, data: Record<string, unknown>): Promise<void> {
    await this.deps.events.append({ type, team, data, at: Date.now(), idemKey }).catch(() => undefined);
  }
}
