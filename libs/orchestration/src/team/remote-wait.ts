import type { EffectExecutor } from '@godel/actors';
import type { EventLog } from '@godel/persistence';
import { isWorkspaceError } from '@godel/workspace';
import { keepRef } from '../refinery/git-ops';
import type { TeamRepo } from './team-repo';

type Effect = Parameters<EffectExecutor>[0];

/** What RemoteWait needs of the team's effect dependencies (TeamEffectDeps). */
export interface RemoteWaitDeps {
  events: Pick<EventLog, 'append' | 'latestOf'>;
  remoteWaitMs?: number;
  failTeam?(team: string, reason: string): Promise<void>;
}
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRemoteDown = (err: unknown) => isWorkspaceError(err, 'workspace.unreachable') || isWorkspaceError(err, 'workspace.auth_failed');

/**
 * Team effects that need the remote (a URL team's git work, an approved commit pushed before its
 * merge) while the remote is down or refuses the server's credentials. Within `remoteWaitMs` of the
 * first failure the effect is said in `team.remote_unavailable` (the remote, the code, the error,
 * `since`; again every quarter of the wait) and thrown, so the runtime runs it again: the team waits
 * for its remote instead of going on without the work landing there. Past it, the team is failed once
 * (`remote.unavailable: …` naming the remote and what to do) and the effects give up — a ref the
 * team keeps (failed work) is kept in this instance's mirror instead, so no approved commit is lost.
 * A success on the remote resets the clock and is said in `team.remote_available`.
 *
 * The clock survives a team's move: an instance that takes a team over starts from the team's last
 * `team.remote_unavailable` (its `since`) when no `team.remote_available` came after it and it is
 * recent (within the wait), so a team that hops between hosts during an outage still gives up on time.
 */
export class RemoteWait {
  /** Per remote: since when it fails, and its last failure (a failure long after the last one starts a new wait). */
  private readonly down = new Map<string, { since: number; last: number }>();
  private readonly failed = new Set<string>();
  /** Team+remote pairs whose recorded state this instance has looked at (once, on the first outcome here). */
  private readonly known = new Set<string>();

  constructor(
    private readonly deps: RemoteWaitDeps,
    private readonly repos: TeamRepo,
  ) {}

  async run(e: Effect, run: () => Promise<void>): Promise<void> {
    const repo = isRecord(e.payload) && typeof e.payload.repo === 'string' ? e.payload.repo : undefined;
    const team = e.from.replace(/^team\//, '');
    try {
      await run();
      if (repo) await this.succeeded(e, team, repo);
      return;
    } catch (err) {
      if (!repo || !isRemoteDown(err)) throw err;
      const now = Date.now();
      const wait = this.deps.remoteWaitMs ?? 600_000;
      const prev = this.down.get(repo) ?? (await this.recorded(team, repo, now, wait));
      const since = prev && now - prev.last < wait ? prev.since : now;
      this.down.set(repo, { since, last: now });
      const code = isWorkspaceError(err) ? err.code : 'workspace.unreachable';
      const error = err instanceof Error ? err.message.slice(0, 500) : String(err);
      if (now - since < wait || !this.deps.failTeam) {
        // Said again every quarter of the wait: the latest one stays recent for an instance taking the team over.
        const tick = Math.floor((now - since) / Math.max(1, wait / 4));
        await this.event(team, 'team.remote_unavailable', `${e.id}:remote:${tick}`, { repo, code, effect: e.type, error, retrying: true, since });
        throw err;
      }
      await this.giveUp(e, team, repo, code, Math.round((now - since) / 1000), error);
    }
  }

  /** The outage this team's events record for the remote (another instance's clock), if it is still on. */
  private async recorded(team: string, repo: string, now: number, wait: number): Promise<{ since: number; last: number } | undefined> {
    this.known.add(`${team}\0${repo}`);
    const last = await this.deps.events.latestOf(team, ['team.remote_unavailable', 'team.remote_available'], repo).catch(() => null);
    if (last?.type !== 'team.remote_unavailable' || typeof last.data.since !== 'number') return undefined;
    const at = Date.parse(last.at);
    return now - at < wait ? { since: last.data.since, last: at } : undefined;
  }

  private async succeeded(e: Effect, team: string, repo: string): Promise<void> {
    const key = `${team}\0${repo}`;
    let wasDown = this.down.delete(repo);
    if (!wasDown && !this.known.has(key)) {
      // First outcome here for this team: an outage another instance saw ends now.
      const last = await this.deps.events.latestOf(team, ['team.remote_unavailable', 'team.remote_available'], repo).catch(() => null);
      wasDown = last?.type === 'team.remote_unavailable';
    }
    if (this.known.size >= 10_000) this.known.clear(); // bounded: forgetting costs one read per team
    this.known.add(key);
    if (wasDown) await this.event(team, 'team.remote_available', `${e.id}:available`, { repo, effect: e.type });
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
