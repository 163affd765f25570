import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { builtinWorkflows, parseWorkflow, type TaskState, type TeamState, type WorkflowTemplate } from '@godel/orchestration';
import { TeamsService } from './teams.service';
import { Roles } from '../http/access.decorators';
import type { AuthedRequest } from '../http/request-context';
import { RepoAccess } from '../repos/repo-access';
import { IntentBodySchema, NameSchema, TasksQuerySchema, TeamCancelSchema, TeamsQuerySchema, WorkflowValidateSchema } from '../http/request-schemas';
import { BodySchema, QuerySchema, parseBody, parseQuery } from '../http/schema';
import { InvalidRequest, NAME, NotFound } from '../http/validate';

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

/** Intents, teams, tasks, workflows and the merge queue. */
@ApiTags('teams')
@Controller('api/v1')
export class TeamsController {
  constructor(
    private readonly service: TeamsService,
    private readonly repos: RepoAccess,
  ) {}

  /** Starts an intent: a team forms and works; 202 with the team. `dryRun` returns the plan and starts nothing. */
  @Roles('operator')
  @Post('intents')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start an intent: a team forms, plans, works, reviews and merges (dryRun: the plan only, nothing started)' })
  @BodySchema(IntentBodySchema)
  async createIntent(@Body() body: unknown, @Req() http: AuthedRequest): Promise<Record<string, unknown>> {
    const { dryRun, repo, verify, workflow, workflowYaml, ...rest } = parseBody(IntentBodySchema, body);
    const caller = http.principal!;
    // Operators: registered repositories with their registered settings; admins also choose verify and workflow files.
    const { path, registered } = await this.repos.forWork(repo, caller);
    if (verify !== undefined) RepoAccess.adminOnly(caller, 'verify (a free-text command)');
    if (workflow !== undefined && !builtinWorkflows().some((w) => w.name === workflow)) RepoAccess.adminOnly(caller, 'a workflow file by path');
    if (workflowYaml !== undefined && parseWorkflow(workflowYaml, '<request>').verify !== undefined) RepoAccess.adminOnly(caller, "a workflow's verify command");
    const req = { ...rest, repo: path, verify: verify ?? registered?.verify ?? undefined, workflow, workflowYaml };
    if (dryRun) return { dryRun: true, plan: await this.service.plan(req) };
    const prepared = await this.service.start(req);
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
  @QuerySchema(TeamsQuerySchema)
  async teams(@Query() q: unknown): Promise<{ items: Record<string, unknown>[] }> {
    const { status, limit } = parseQuery(TeamsQuerySchema, q);
    return { items: (await this.service.list({ status, limit })).map(teamSummary) };
  }

  @Roles('viewer')
  @Get('teams/:team')
  @ApiOperation({ summary: 'A team: status, members, tasks, the ledger of approved commits' })
  @ApiParam({ name: 'team', schema: NameSchema })
  async team(@Param('team') team: string): Promise<Record<string, unknown>> {
    const s = await this.load(team);
    return { ...teamSummary(s), verify: s.verify ?? null, startCommit: s.startCommit ?? null, settings: s.settings, ledger: s.ledger, taskList: s.order.map((id) => taskView(team, s.tasks[id])) };
  }

  @Roles('operator')
  @Post('teams/:team/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a team: its agents stop, unfinished tasks are cancelled' })
  @ApiParam({ name: 'team', schema: NameSchema })
  @BodySchema(TeamCancelSchema, { required: false })
  async cancel(@Param('team') team: string, @Body() body: unknown): Promise<Record<string, unknown>> {
    await this.load(team);
    const { reason } = parseBody(TeamCancelSchema, body, true);
    return teamSummary(await this.service.cancel(team, reason));
  }

  @Roles('viewer')
  @Get('teams/:team/tasks')
  @ApiOperation({ summary: "A team's tasks in plan order" })
  @ApiParam({ name: 'team', schema: NameSchema })
  async teamTasks(@Param('team') team: string): Promise<{ items: Record<string, unknown>[] }> {
    const s = await this.load(team);
    return { items: s.order.map((id) => taskView(team, s.tasks[id])) };
  }

  @Roles('viewer')
  @Get('tasks')
  @ApiOperation({ summary: 'Tasks of one team or of the latest 100 teams' })
  @QuerySchema(TasksQuerySchema)
  async tasks(@Query() q: unknown): Promise<{ items: Record<string, unknown>[] }> {
    const { team, status } = parseQuery(TasksQuerySchema, q);
    const teams = team !== undefined ? [await this.load(team)] : await this.service.list({ limit: 100 });
    return { items: teams.flatMap((s) => s.order.map((id) => taskView(s.team, s.tasks[id]))).filter((t) => !status || t.status === status) };
  }

  @Roles('viewer')
  @Get('teams/:team/tasks/:task')
  @ApiOperation({ summary: 'One task' })
  @ApiParam({ name: 'team', schema: NameSchema })
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
    return { items: await this.service.mergeQueue() };
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
  @BodySchema(WorkflowValidateSchema)
  validateWorkflow(@Body() body: unknown): WorkflowTemplate {
    const { yaml, file } = parseBody(WorkflowValidateSchema, body);
    return parseWorkflow(yaml, file ?? '<request>');
  }

  private load(team: string): Promise<TeamState> {
    if (!NAME.test(team)) throw new InvalidRequest('team must match [a-z0-9][a-z0-9._-]{0,63}');
    return this.service.load(team);
  }
}
