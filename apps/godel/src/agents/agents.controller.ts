import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AgentState } from '@godel/agents';
import type { StoredEvent } from '@godel/persistence';
import { AgentsService, type AgentAction } from './agents.service';
import { Roles } from '../http/access.decorators';
import type { AuthedRequest } from '../http/request-context';
import { agentView } from '../http/agent-view';
import { RepoAccess } from '../repos/repo-access';
import { AGENT_ACTIONS, AgentActionSchema, AgentEventsQuerySchema, AgentStartSchema, AgentsQuerySchema, NameSchema } from '../http/request-schemas';
import { BodySchema, QuerySchema, parseBody, parseQuery } from '../http/schema';
import { InvalidRequest, NAME } from '../http/validate';

function names(team: string, name: string): void {
  if (!NAME.test(team) || !NAME.test(name)) throw new InvalidRequest('team and name must match [a-z0-9][a-z0-9._-]{0,63}');
}

function teamName(team: string): void {
  if (!NAME.test(team)) throw new InvalidRequest('team must match [a-z0-9][a-z0-9._-]{0,63}');
}

/** The action and its fields from the route and body (checked against AgentActionSchema). */
function parseAction(action: string, body: unknown): AgentAction {
  const b = parseBody(AgentActionSchema, body, true);
  switch (action) {
    case 'prompt':
    case 'steer':
      if (b.text === undefined) throw new InvalidRequest('text is required');
      return { action, text: b.text };
    case 'abort':
    case 'stop':
    case 'restart':
      return { action, reason: b.reason };
    case 'fork':
      if (b.name === undefined) throw new InvalidRequest('name is required');
      return { action, name: b.name, entry: b.entry };
    default:
      throw new InvalidRequest(`unknown action "${action}" (${AGENT_ACTIONS.join(', ')})`);
  }
}

/** Agents: start, watch, steer, stop, fork; their events and the session tree. */
@ApiTags('agents')
@Controller('api/v1')
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly repos: RepoAccess,
  ) {}

  @Get('models')
  @Roles('viewer')
  @ApiOperation({ summary: 'Configured model providers, or offline (scripted model)' })
  modelInfo(): { offline: boolean; providers: string[] } {
    return this.agents.describeModels();
  }

  @Post('agents')
  @Roles('operator')
  @HttpCode(201)
  @ApiOperation({ summary: 'Start an agent (a pi process in its own worktree)' })
  @BodySchema(AgentStartSchema)
  async start(@Body() body: unknown, @Req() http: AuthedRequest): Promise<AgentState> {
    // No runtime, providers or forkOf from the client: the server sets them (forks go through /:action fork).
    const { team, name, repo, ...rest } = parseBody(AgentStartSchema, body);
    const { path } = await this.repos.forWork(repo, http.principal!);
    return agentView(await this.agents.start(team, name, { ...rest, repo: path }));
  }

  @Get('agents')
  @Roles('viewer')
  @ApiOperation({ summary: 'List agents (from committed state)' })
  @QuerySchema(AgentsQuerySchema)
  async list(@Query() q: unknown): Promise<{ items: Array<{ address: string; state: Record<string, unknown> }> }> {
    const { team } = parseQuery(AgentsQuerySchema, q);
    return { items: (await this.agents.list(team)).map((a) => ({ address: a.address, state: agentView(a.state) })) };
  }

  @Get('agents/:team/:name')
  @Roles('viewer')
  @ApiOperation({ summary: "An agent's state" })
  @ApiParam({ name: 'team', schema: NameSchema })
  @ApiParam({ name: 'name', schema: NameSchema })
  async get(@Param('team') team: string, @Param('name') name: string): Promise<AgentState> {
    names(team, name);
    return agentView(await this.agents.get(team, name));
  }

  @Post('agents/:team/:name/:action')
  @Roles('operator')
  @HttpCode(202)
  @ApiOperation({ summary: 'Prompt, steer, abort, stop or fork an agent' })
  @ApiParam({ name: 'team', schema: NameSchema })
  @ApiParam({ name: 'name', schema: NameSchema })
  @ApiParam({ name: 'action', schema: { type: 'string', enum: [...AGENT_ACTIONS] } })
  @BodySchema(AgentActionSchema, { required: false })
  async act(@Param('team') team: string, @Param('name') name: string, @Param('action') action: string, @Body() body: unknown): Promise<AgentState> {
    names(team, name);
    // An agent that was never started is a 404 whatever the body says.
    const to = await this.agents.existing(team, name);
    return agentView(await this.agents.act(to, team, parseAction(action, body)));
  }

  @Get('agents/:team/:name/events')
  @Roles('viewer')
  @ApiOperation({ summary: "An agent's events from the event log" })
  @ApiParam({ name: 'team', schema: NameSchema })
  @ApiParam({ name: 'name', schema: NameSchema })
  @QuerySchema(AgentEventsQuerySchema)
  async agentEvents(@Param('team') team: string, @Param('name') name: string, @Query() q: unknown): Promise<{ items: StoredEvent[] }> {
    const { after, limit } = parseQuery(AgentEventsQuerySchema, q);
    names(team, name);
    return { items: await this.agents.agentEvents(team, name, after!, limit!) };
  }

  /** Tokens and cost summed over a team's agents. */
  @Get('teams/:team/usage')
  @Roles('viewer')
  @ApiTags('teams')
  @ApiOperation({ summary: "Tokens and cost summed over a team's agents" })
  @ApiParam({ name: 'team', schema: NameSchema })
  async teamUsage(@Param('team') team: string): Promise<{ team: string; total: number; costUsd: number; agents: number }> {
    teamName(team);
    return this.agents.teamUsage(team);
  }

  @Get('sessions/:team')
  @Roles('viewer')
  @ApiTags('sessions')
  @ApiOperation({ summary: "The team's session tree (agents, forks, entries)" })
  @ApiParam({ name: 'team', schema: NameSchema })
  async tree(@Param('team') team: string): Promise<{ items: Array<{ agent: string; parent: string | null; forkedFromEntry: string | null; entries: number; updatedAt: string }> }> {
    teamName(team);
    return { items: await this.agents.sessionTree(team) };
  }
}
