import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Refinery, builtinWorkflows, parseWorkflow, prepareIntent, startIntent, teamAddress, type TaskState, type TeamState, type WorkflowTemplate } from '@godel/orchestration';
import { AgentQueries } from '@godel/persistence';
import { ModelProviders } from '../agents/model-providers';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { RUNTIME } from '../runtime/runtime.tokens';
import { Roles } from '../auth/access.decorators';
import type { AuthedRequest } from '../auth/request-context';
import { RepoAccess } from './repo-access';
import { InvalidRequest, NAME, NotFound, checkBudget, int, obj, query, str } from './validate';

const STATUSES = ['planning', 'running', 'succeeded', 'failed', 'cancelled'];
const TASK_STATUSES = ['pending', 'ready', 'running', 'in_review', 'merging', 'done', 'failed', 'cancelled'];

/** What a list shows of a team: no prompts or worktree paths, just progress. */
export function teamSummary(s: TeamState): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const id of s.order) counts[s.tasks[id].status] = (counts[s.tasks[id].status] ?? 0) + 1;
  return {
    team: s.team,
    intentId: s.intentId,
    intent: s.intent,
    status: s.status,
    reason: s.reason ?? null,
    repo: s.repo,
    target: s.target,
    workflow: s.workflow ?? null,
    tasks: counts,
    merged: s.ledger.filter((l) => l.outcome === 'merged').length,
    members: Object.values(s.members).map((m) => ({ name: m.name, role: m.role, status: m.status, task: m.task ?? null, retired: !!m.retired })),
    usage: s.usage ?? null,
    createdAt: s.createdAt ?? null,
    finishedAt: s.finishedAt ?? null,
  };
}

function taskView(team: string, t: TaskState): Record<string, unknown> {
  const { prompt, ...rest } = t;
  return { team, ...rest, prompt: prompt.slice(0, 2000) };
}

function intNum(v: unknown, key: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidRequest(`${key} must be a whole number from ${min} to ${max}`);
  return v;
}

const NAME_SCHEMA = { type: 'string', pattern: NAME.source };
const BUDGET_SCHEMA = { type: 'object', additionalProperties: false, properties: { tokens: { type: 'number', minimum: 0, exclusiveMinimum: true }, costUsd: { type: 'number', minimum: 0, exclusiveMinimum: true } } };
const INTENT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['intent', 'repo'],
  properties: {
    intent: { type: 'string', minLength: 1, maxLength: 20000 },
    repo: { type: 'string', minLength: 1, maxLength: 4096, description: 'path of a git repository on the server' },
    target: { type: 'string', minLength: 1, maxLength: 200, description: 'branch to merge into (default main)' },
    verify: { type: 'string', minLength: 1, maxLength: 2000, description: "admin only: the verification command (default: the registered repository's, then .godel.yaml, then the workflow's)" },
    workflow: { type: 'string', minLength: 1, maxLength: 4096, description: 'a built-in workflow name, or (admin only) a YAML file on the server' },
    workflowYaml: { type: 'string', minLength: 1, maxLength: 100000 },
    budget: BUDGET_SCHEMA,
    concurrency: { type: 'integer', minimum: 1, maximum: 16 },
    allowRedBase: { type: 'boolean', description: 'a target whose verification is already red needs no fix task' },
    dryRun: { type: 'boolean' },
  },
};

/** Intents, teams, tasks, workflows and the merge queue. */
@ApiTags('teams')
@Controller('api/v1')
export class TeamsController {
  constructor(
    @Inject(RUNTIME) private readonly runtime: BuiltRuntime,
    private readonly models: ModelProviders,
    private readonly queries: AgentQueries,
    private readonly refinery: Refinery,
    private readonly repos: RepoAccess,
  ) {}

  /** Starts an intent: a team forms and works; 202 with the team. `dryRun` returns the plan and starts nothing. */
  @Roles('operator')
  @Post('intents')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start an intent: a team forms, plans, works, reviews and merges (dryRun: the plan only, nothing started)' })
  @ApiBody({ schema: INTENT_SCHEMA })
  async createIntent(@Body() body: unknown, @Req() http: AuthedRequest): Promise<Record<string, unknown>> {
    const b = obj(body, ['intent', 'repo', 'target', 'verify', 'workflow', 'workflowYaml', 'budget', 'concurrency', 'allowRedBase', 'dryRun']);
    if (b.dryRun !== undefined && typeof b.dryRun !== 'boolean') throw new InvalidRequest('dryRun must be a boolean');
    if (b.allowRedBase !== undefined && typeof b.allowRedBase !== 'boolean') throw new InvalidRequest('allowRedBase must be a boolean');
    const caller = http.principal!;
    // Operators: registered repositories with their registered settings; admins also choose verify and workflow files.
    const { path, registered } = await this.repos.forWork(str(b, 'repo', { required: true, max: 4096 })!, caller);
    const verify = str(b, 'verify', { max: 2000 });
    if (verify !== undefined) RepoAccess.adminOnly(caller, 'verify (a free-text command)');
    const workflow = str(b, 'workflow', { max: 4096 });
    if (workflow !== undefined && !builtinWorkflows().some((w) => w.name === workflow)) RepoAccess.adminOnly(caller, 'a workflow file by path');
    const workflowYaml = str(b, 'workflowYaml', { max: 100_000 });
    if (workflowYaml !== undefined && parseWorkflow(workflowYaml, '<request>').verify !== undefined) RepoAccess.adminOnly(caller, "a workflow's verify command");
    const req = {
      intent: str(b, 'intent', { required: true, max: 20_000 })!,
      repo: path,
      target: str(b, 'target', { max: 200 }),
      verify: verify ?? registered?.verify ?? undefined,
      workflow,
      workflowYaml,
      budget: checkBudget(b, 'budget'),
      concurrency: intNum(b.concurrency, 'concurrency', 1, 16),
      allowRedBase: b.allowRedBase as boolean | undefined,
    };
    if (b.dryRun) return { dryRun: true, plan: (await prepareIntent(req, this.models.providers)).plan };
    const prepared = await startIntent((to, type, payload, ms) => this.runtime.system.ask(to, type, payload, ms), req, this.models.providers);
    return { dryRun: false, team: prepared.team, intentId: prepared.start.intentId, plan: prepared.plan };
  }

  @Roles('viewer')
  @Get('intents/:id')
  @ApiOperation({ summary: "An intent's team (intent ids are intent-<team>)" })
  async intent(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!id.startsWith('intent-')) throw new NotFound(`unknown intent ${id} (intent ids look like intent-<team>)`);
    return this.team(id.slice('intent-'.length));
  }

  @Roles('viewer')
  @Get('teams')
  @ApiOperation({ summary: 'Teams, newest first, with task counts and merged commits' })
  @ApiQuery({ name: 'status', required: false, schema: { type: 'string', enum: STATUSES } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } })
  async teams(@Query() q: unknown): Promise<{ items: Record<string, unknown>[] }> {
    const { status, limit } = query(q, ['status', 'limit']);
    if (status !== undefined && !STATUSES.includes(status)) throw new InvalidRequest(`status must be one of ${STATUSES.join(', ')}`);
    const l = int(limit, 'limit', 100, 1, 500);
    return { items: (await this.queries.teams({ status, limit: l })).map((s) => teamSummary(s as unknown as TeamState)) };
  }

  @Roles('viewer')
  @Get('teams/:team')
  @ApiOperation({ summary: 'A team: status, members, tasks, the ledger of approved commits' })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  async team(@Param('team') team: string): Promise<Record<string, unknown>> {
    const s = await this.load(team);
    return { ...teamSummary(s), verify: s.verify ?? null, startCommit: s.startCommit ?? null, settings: s.settings, ledger: s.ledger, taskList: s.order.map((id) => taskView(team, s.tasks[id])) };
  }

  @Roles('operator')
  @Post('teams/:team/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: "Cancel a team: its agents stop, unfinished tasks are cancelled" })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  @ApiBody({ schema: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } } }, required: false })
  async cancel(@Param('team') team: string, @Body() body: unknown): Promise<Record<string, unknown>> {
    await this.load(team);
    const b = obj(body ?? {}, ['reason']);
    const s = await this.runtime.system.ask<TeamState>(teamAddress(team), 'team.cancel', { reason: str(b, 'reason', { max: 500 }) }, 60_000);
    return teamSummary(s);
  }

  @Roles('viewer')
  @Get('teams/:team/tasks')
  @ApiOperation({ summary: "A team's tasks in plan order" })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  async teamTasks(@Param('team') team: string): Promise<{ items: Record<string, unknown>[] }> {
    const s = await this.load(team);
    return { items: s.order.map((id) => taskView(team, s.tasks[id])) };
  }

  @Roles('viewer')
  @Get('tasks')
  @ApiOperation({ summary: 'Tasks of one team or of the latest 100 teams' })
  @ApiQuery({ name: 'team', required: false, schema: NAME_SCHEMA })
  @ApiQuery({ name: 'status', required: false, schema: { type: 'string', enum: TASK_STATUSES } })
  async tasks(@Query() q: unknown): Promise<{ items: Record<string, unknown>[] }> {
    const { team, status } = query(q, ['team', 'status']);
    if (status !== undefined && !TASK_STATUSES.includes(status)) throw new InvalidRequest(`status must be one of ${TASK_STATUSES.join(', ')}`);
    const teams = team !== undefined ? [await this.load(team)] : ((await this.queries.teams({ limit: 100 })) as unknown as TeamState[]);
    return { items: teams.flatMap((s) => s.order.map((id) => taskView(s.team, s.tasks[id]))).filter((t) => !status || t.status === status) };
  }

  @Roles('viewer')
  @Get('teams/:team/tasks/:task')
  @ApiOperation({ summary: 'One task' })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  @ApiParam({ name: 'task', schema: { type: 'string', minLength: 1, maxLength: 64 } })
  async task(@Param('team') team: string, @Param('task') task: string): Promise<Record<string, unknown>> {
    const s = await this.load(team);
    const t = s.tasks[task];
    if (!t) throw new NotFound(`team ${team} has no task ${task}`);
    return taskView(team, t);
  }

  @Roles('viewer')
  @Get('merge-queue')
  @ApiOperation({ summary: 'Merge jobs waiting or running, oldest first' })
  async mergeQueue(): Promise<{ items: unknown[] }> {
    return { items: await this.refinery.pending() };
  }

  @Roles('viewer')
  @Get('workflows')
  @ApiOperation({ summary: 'The built-in workflow templates' })
  workflows(): { items: Array<Pick<WorkflowTemplate, 'name' | 'description'> & { tasks: number }> } {
    return { items: builtinWorkflows().map((w) => ({ name: w.name, description: w.description, tasks: w.tasks.length })) };
  }

  @Roles('viewer')
  @Get('workflows/:name')
  @ApiOperation({ summary: 'A built-in workflow template' })
  workflow(@Param('name') name: string): WorkflowTemplate {
    const w = builtinWorkflows().find((x) => x.name === name);
    if (!w) throw new NotFound(`unknown workflow ${name} (built-ins: ${builtinWorkflows().map((x) => x.name).join(', ')})`);
    return w;
  }

  /** Validates a workflow YAML text: 200 with the template, or 422 with every issue's line and field. */
  @Roles('operator')
  @Post('workflows/validate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Validate a workflow YAML: 200 with the template, or 422 with every problem (line, field)' })
  @ApiBody({ schema: { type: 'object', additionalProperties: false, required: ['yaml'], properties: { yaml: { type: 'string', minLength: 1, maxLength: 100000 }, file: { type: 'string', minLength: 1, maxLength: 200 } } } })
  validateWorkflow(@Body() body: unknown): WorkflowTemplate {
    const b = obj(body, ['yaml', 'file']);
    return parseWorkflow(str(b, 'yaml', { required: true, max: 100_000 })!, str(b, 'file', { max: 200 }) ?? '<request>');
  }

  private async load(team: string): Promise<TeamState> {
    if (!NAME.test(team)) throw new InvalidRequest('team must match [a-z0-9][a-z0-9._-]{0,63}');
    const s = await this.queries.state<TeamState>(teamAddress(team));
    if (!s || s.status === 'new') throw new NotFound(`unknown team ${team}`);
    return s;
  }
}

