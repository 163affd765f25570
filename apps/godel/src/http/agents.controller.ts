import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { agentAddress, type AgentState } from '@godel/agents';
import { AgentQueries, EventLog, SessionStore, type StoredEvent } from '@godel/persistence';
import { ModelProviders } from '../agents/model-providers';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { RUNTIME } from '../runtime/runtime.tokens';
import { InvalidRequest, NAME, checkBudget, obj, str } from './validate';
import { Roles } from '../auth/access.decorators';

const ASK_MS = 120_000;

function address(team: string, name: string): string {
  if (!NAME.test(team) || !NAME.test(name)) throw new InvalidRequest('team and name must match [a-z0-9][a-z0-9._-]{0,63}');
  return agentAddress(team, name);
}

/** Agents: start, watch, steer, stop, fork; their events and the session tree. */
@Controller('api/v1')
export class AgentsController {
  constructor(
    @Inject(RUNTIME) private readonly runtime: BuiltRuntime,
    private readonly models: ModelProviders,
    private readonly queries: AgentQueries,
    private readonly events: EventLog,
    private readonly sessions: SessionStore,
  ) {}

  @Get('models')
  @Roles('viewer')
  modelInfo(): { offline: boolean; providers: string[] } {
    return this.models.describe();
  }

  @Post('agents')
  @Roles('operator')
  @HttpCode(201)
  async start(@Body() body: unknown): Promise<AgentState> {
    const b = obj(body, ['team', 'name', 'repo', 'prompt', 'baseRef', 'role', 'tier', 'budget', 'teamBudget', 'forkOf']);
    const to = address(str(b, 'team', { required: true })!, str(b, 'name', { required: true })!);
    const budget = checkBudget(b, 'budget');
    const teamBudget = checkBudget(b, 'teamBudget');
    const tier = b.tier;
    if (tier !== undefined && tier !== 'strong' && tier !== 'cheap') throw new InvalidRequest('tier must be strong or cheap');
    return this.runtime.system.ask<AgentState>(to, 'agent.start', {
      repo: str(b, 'repo', { required: true, max: 4096 }),
      prompt: str(b, 'prompt', { max: 100_000 }),
      baseRef: str(b, 'baseRef', { max: 256 }),
      role: str(b, 'role', { max: 64 }),
      tier,
      budget,
      teamBudget,
      forkOf: b.forkOf,
      providers: this.models.providers,
    }, ASK_MS);
  }

  @Get('agents')
  @Roles('viewer')
  async list(@Query('team') team?: string): Promise<{ items: Array<{ address: string; state: Record<string, unknown> }> }> {
    if (team !== undefined && !NAME.test(team)) throw new InvalidRequest('team must match [a-z0-9][a-z0-9._-]{0,63}');
    return { items: await this.queries.list({ team }) };
  }

  @Get('agents/:team/:name')
  @Roles('viewer')
  get(@Param('team') team: string, @Param('name') name: string): Promise<AgentState> {
    return this.runtime.system.ask<AgentState>(address(team, name), 'get', {}, ASK_MS);
  }

  @Post('agents/:team/:name/:action')
  @Roles('operator')
  @HttpCode(202)
  async act(@Param('team') team: string, @Param('name') name: string, @Param('action') action: string, @Body() body: unknown): Promise<AgentState> {
    const to = address(team, name);
    const b = obj(body ?? {}, ['text', 'reason', 'name', 'entry']);
    switch (action) {
      case 'prompt':
      case 'steer':
        return this.runtime.system.ask<AgentState>(to, `agent.${action}`, { text: str(b, 'text', { required: true, max: 100_000 }) }, ASK_MS);
      case 'abort':
      case 'stop':
      case 'restart':
        return this.runtime.system.ask<AgentState>(to, `agent.${action}`, { reason: str(b, 'reason', { max: 500 }) }, ASK_MS);
      case 'fork': {
        const child = address(team, str(b, 'name', { required: true, pattern: NAME })!);
        const parent = await this.runtime.system.ask<AgentState>(to, 'get', {}, ASK_MS);
        if (!parent.repo) throw new InvalidRequest(`${to} has not started; nothing to fork`);
        return this.runtime.system.ask<AgentState>(child, 'agent.start', { repo: parent.repo, providers: parent.providers, forkOf: { agent: to, entry: str(b, 'entry', { max: 200 }) } }, ASK_MS);
      }
      default:
        throw new InvalidRequest(`unknown action "${action}" (prompt, steer, abort, stop, restart, fork)`);
    }
  }

  @Get('agents/:team/:name/events')
  @Roles('viewer')
  async agentEvents(@Param('team') team: string, @Param('name') name: string, @Query('after') after?: string, @Query('limit') limit?: string): Promise<{ items: StoredEvent[] }> {
    const a = Number(after ?? 0);
    const l = Number(limit ?? 200);
    if (!Number.isInteger(a) || a < 0 || !Number.isInteger(l) || l < 1 || l > 1000) throw new InvalidRequest('after must be an integer ≥ 0, limit in [1, 1000]');
    return { items: await this.events.list({ agent: address(team, name), after: a, limit: l }) };
  }

  /** Tokens and cost summed over a team's agents. */
  @Get('teams/:team/usage')
  @Roles('viewer')
  async teamUsage(@Param('team') team: string): Promise<{ team: string; total: number; costUsd: number; agents: number }> {
    if (!NAME.test(team)) throw new InvalidRequest('team must match [a-z0-9][a-z0-9._-]{0,63}');
    return { team, ...(await this.queries.teamUsage(team)) };
  }

  @Get('sessions/:team')
  @Roles('viewer')
  async tree(@Param('team') team: string): Promise<{ items: Array<{ agent: string; parent: string | null; forkedFromEntry: string | null; entries: number; updatedAt: string }> }> {
    if (!NAME.test(team)) throw new InvalidRequest('team must match [a-z0-9][a-z0-9._-]{0,63}');
    const rows = await this.sessions.tree(team);
    return {
      items: rows.map((r) => ({ agent: r.agent, parent: r.parentAgent, forkedFromEntry: r.forkedFromEntry, entries: r.content.split('\n').filter(Boolean).length, updatedAt: r.updatedAt })),
    };
  }
}
