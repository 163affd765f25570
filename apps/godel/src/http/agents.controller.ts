import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { agentAddress, type AgentState } from '@godel/agents';
import { AgentQueries, EventLog, SessionStore, type StoredEvent } from '@godel/persistence';
import { ModelProviders } from '../agents/model-providers';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { RUNTIME } from '../runtime/runtime.tokens';
import { InvalidRequest, NAME, NotFound, checkBudget, int, obj, query, str } from './validate';
import { Roles } from '../auth/access.decorators';
import type { AuthedRequest } from '../auth/request-context';
import { agentView } from './agent-view';
import { RepoAccess } from './repo-access';

const ASK_MS = 120_000;

function address(team: string, name: string): string {
  if (!NAME.test(team) || !NAME.test(name)) throw new InvalidRequest('team and name must match [a-z0-9][a-z0-9._-]{0,63}');
  return agentAddress(team, name);
}

const NAME_SCHEMA = { type: 'string', pattern: NAME.source };
const BUDGET_SCHEMA = { type: 'object', additionalProperties: false, properties: { tokens: { type: 'number', minimum: 0, exclusiveMinimum: true }, costUsd: { type: 'number', minimum: 0, exclusiveMinimum: true } } };
const START_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['team', 'name', 'repo'],
  properties: {
    team: NAME_SCHEMA,
    name: NAME_SCHEMA,
    repo: { type: 'string', minLength: 1, maxLength: 4096, description: 'path of a git repository under GODEL_REPO_ROOTS (operators: a registered one)' },
    prompt: { type: 'string', minLength: 1, maxLength: 100000 },
    baseRef: { type: 'string', minLength: 1, maxLength: 256 },
    role: { type: 'string', minLength: 1, maxLength: 64 },
    tier: { type: 'string', enum: ['strong', 'cheap'] },
    budget: BUDGET_SCHEMA,
    teamBudget: BUDGET_SCHEMA,
  },
};
const ACT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description: 'prompt/steer: {text}; abort/stop: {reason?}; fork: {name, entry?}',
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 100000 },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
    name: NAME_SCHEMA,
    entry: { type: 'string', minLength: 1, maxLength: 200, description: 'session entry id to fork at (default: the end)' },
  },
};

/** Agents: start, watch, steer, stop, fork; their events and the session tree. */
@ApiTags('agents')
@Controller('api/v1')
export class AgentsController {
  constructor(
    @Inject(RUNTIME) private readonly runtime: BuiltRuntime,
    private readonly models: ModelProviders,
    private readonly queries: AgentQueries,
    private readonly events: EventLog,
    private readonly sessions: SessionStore,
    private readonly repos: RepoAccess,
  ) {}

  @Get('models')
  @Roles('viewer')
  @ApiOperation({ summary: 'Configured model providers, or offline (scripted model)' })
  modelInfo(): { offline: boolean; providers: string[] } {
    return this.models.describe();
  }

  @Post('agents')
  @Roles('operator')
  @HttpCode(201)
  @ApiOperation({ summary: 'Start an agent (a pi process in its own worktree)' })
  @ApiBody({ schema: START_SCHEMA })
  async start(@Body() body: unknown, @Req() http: AuthedRequest): Promise<AgentState> {
    // No runtime, providers or forkOf from the client: the server sets them (forks go through /:action fork).
    const b = obj(body, ['team', 'name', 'repo', 'prompt', 'baseRef', 'role', 'tier', 'budget', 'teamBudget']);
    const to = address(str(b, 'team', { required: true })!, str(b, 'name', { required: true })!);
    const budget = checkBudget(b, 'budget');
    const teamBudget = checkBudget(b, 'teamBudget');
    const tier = b.tier;
    if (tier !== undefined && tier !== 'strong' && tier !== 'cheap') throw new InvalidRequest('tier must be strong or cheap');
    const { path } = await this.repos.forWork(str(b, 'repo', { required: true, max: 4096 })!, http.principal!);
    return agentView(await this.runtime.system.ask<AgentState>(to, 'agent.start', {
      repo: path,
      prompt: str(b, 'prompt', { max: 100_000 }),
      baseRef: str(b, 'baseRef', { max: 256 }),
      role: str(b, 'role', { max: 64 }),
      tier,
      budget,
      teamBudget,
      providers: this.models.providers,
    }, ASK_MS));
  }

  @Get('agents')
  @Roles('viewer')
  @ApiOperation({ summary: 'List agents (from committed state)' })
  @ApiQuery({ name: 'team', required: false, schema: NAME_SCHEMA })
  async list(@Query() q: unknown): Promise<{ items: Array<{ address: string; state: Record<string, unknown> }> }> {
    const { team } = query(q, ['team']);
    if (team !== undefined && !NAME.test(team)) throw new InvalidRequest('team must match [a-z0-9][a-z0-9._-]{0,63}');
    return { items: (await this.queries.list({ team })).map((a) => ({ address: a.address, state: agentView(a.state) })) };
  }

  @Get('agents/:team/:name')
  @Roles('viewer')
  @ApiOperation({ summary: "An agent's state" })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  @ApiParam({ name: 'name', schema: NAME_SCHEMA })
  async get(@Param('team') team: string, @Param('name') name: string): Promise<AgentState> {
    return agentView(await this.runtime.system.ask<AgentState>(await this.existing(team, name), 'get', {}, ASK_MS));
  }

  /** The address of an agent that was started (committed state); 404 otherwise. */
  private async existing(team: string, name: string): Promise<string> {
    const to = address(team, name);
    const status = await this.queries.status(to);
    if (status === undefined || status === 'new') throw new NotFound(`no agent ${team}/${name} (list them with GET /api/v1/agents?team=${team})`);
    return to;
  }

  @Post('agents/:team/:name/:action')
  @Roles('operator')
  @HttpCode(202)
  @ApiOperation({ summary: 'Prompt, steer, abort, stop or fork an agent' })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  @ApiParam({ name: 'name', schema: NAME_SCHEMA })
  @ApiParam({ name: 'action', schema: { type: 'string', enum: ['prompt', 'steer', 'abort', 'stop', 'restart', 'fork'] } })
  @ApiBody({ schema: ACT_SCHEMA, required: false })
  async act(@Param('team') team: string, @Param('name') name: string, @Param('action') action: string, @Body() body: unknown): Promise<AgentState> {
    return agentView(await this.action(team, name, action, body));
  }

  private async action(team: string, name: string, action: string, body: unknown): Promise<AgentState> {
    const to = await this.existing(team, name);
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
  @ApiOperation({ summary: "An agent's events from the event log" })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  @ApiParam({ name: 'name', schema: NAME_SCHEMA })
  @ApiQuery({ name: 'after', required: false, schema: { type: 'integer', minimum: 0, default: 0 } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } })
  async agentEvents(@Param('team') team: string, @Param('name') name: string, @Query() q: unknown): Promise<{ items: StoredEvent[] }> {
    const { after, limit } = query(q, ['after', 'limit']);
    const a = int(after, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
    const l = int(limit, 'limit', 200, 1, 1000);
    return { items: await this.events.list({ agent: await this.existing(team, name), after: a, limit: l }) };
  }

  /** Tokens and cost summed over a team's agents. */
  @Get('teams/:team/usage')
  @Roles('viewer')
  @ApiTags('teams')
  @ApiOperation({ summary: "Tokens and cost summed over a team's agents" })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  async teamUsage(@Param('team') team: string): Promise<{ team: string; total: number; costUsd: number; agents: number }> {
    if (!NAME.test(team)) throw new InvalidRequest('team must match [a-z0-9][a-z0-9._-]{0,63}');
    const usage = await this.queries.teamUsage(team);
    if (usage.agents === 0) throw new NotFound(`no agents in team ${team}`);
    return { team, ...usage };
  }

  @Get('sessions/:team')
  @Roles('viewer')
  @ApiTags('sessions')
  @ApiOperation({ summary: "The team's session tree (agents, forks, entries)" })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  async tree(@Param('team') team: string): Promise<{ items: Array<{ agent: string; parent: string | null; forkedFromEntry: string | null; entries: number; updatedAt: string }> }> {
    if (!NAME.test(team)) throw new InvalidRequest('team must match [a-z0-9][a-z0-9._-]{0,63}');
    const rows = await this.sessions.tree(team);
    if (rows.length === 0 && (await this.queries.teamUsage(team)).agents === 0) throw new NotFound(`no agents in team ${team}`);
    return {
      items: rows.map((r) => ({ agent: r.agent, parent: r.parentAgent, forkedFromEntry: r.forkedFromEntry, entries: r.content.split('\n').filter(Boolean).length, updatedAt: r.updatedAt })),
    };
  }
}
