import { Injectable } from '@nestjs/common';
import { Refinery, cancelTeam, prepareIntent, teamAddress, type IntentRequest, type PreparedIntent, type TeamState } from '@godel/orchestration';
import { AgentQueries } from '@godel/persistence';
import { RepoMirrors } from '@godel/workspace';
import { ModelProviders } from '../agents/model-providers';
import { NotFound } from '../errors';
import { FederationService } from '../federation/federation.service';
import { RuntimeService } from '../runtime/runtime.service';

/** Teams for the HTTP layer and maintenance: intents to team actors (through the runtime), committed team state, the merge queue. */
@Injectable()
export class TeamsService {
  constructor(
    private readonly runtime: RuntimeService,
    private readonly models: ModelProviders,
    private readonly queries: AgentQueries,
    private readonly refinery: Refinery,
    private readonly federation: FederationService,
    private readonly mirrors: RepoMirrors,
  ) {}

  /** The plan an intent would run; nothing starts. */
  async plan(req: IntentRequest): Promise<PreparedIntent['plan']> {
    return (await prepareIntent(req, this.models.providers, this.mirrors)).plan;
  }

  /** Prepares an intent and starts its team; resolves once the team has started. */
  /** Placement (issue 12): the team's name — its shard — is chosen among shards owned by members with room; 503 when none has any. */
  async start(req: IntentRequest): Promise<PreparedIntent> {
    const prepared = await this.federation.placeIntent(await prepareIntent(req, this.models.providers, this.mirrors));
    await this.runtime.ask(teamAddress(prepared.team), 'team.start', prepared.start, 60_000);
    return prepared;
  }

  /** Answers once the team has ended (after the commits of its running tasks' work: cancelTeam). */
  cancel(team: string, reason?: string): Promise<TeamState> {
    return cancelTeam((to, type, payload, ms) => this.runtime.ask(to, type, payload, ms), team, reason);
  }

  list(filter: { status?: string; limit?: number }): Promise<TeamState[]> {
    return this.queries.teams<TeamState>(filter);
  }

  /** A team that was started (committed state); 404 otherwise. */
  async load(team: string): Promise<TeamState> {
    const s = await this.queries.state<TeamState>(teamAddress(team));
    if (!s || s.status === 'new') throw new NotFound(`unknown team ${team}`);
    return s;
  }

  /** A team's status from committed state (maintenance asks whether its team still works). */
  async status(team: string): Promise<string | undefined> {
    return (await this.queries.state<{ status: string }>(teamAddress(team)))?.status;
  }

  mergeQueue(): Promise<unknown[]> {
    return this.refinery.pending();
  }
}
