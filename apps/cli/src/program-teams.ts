import { loadConfig } from '@godel/config';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ApiFlags } from './commands/api';
import { dashboardUrl } from './commands/dashboard';
import { runDo, type DoOptions } from './commands/do';
import { taskGet, taskList } from './commands/task';
import { teamCancel, teamGet, teamList } from './commands/team';
import { workflowList, workflowShow, workflowValidate } from './commands/workflow';
import { actFor, apiOptions, intArg } from './program-support';

/** `godel do`, `team`, `task` and `workflow`: intents and the teams working on them. */
export function addTeamCommands(program: Command, setExitCode: (code: number) => void): void {
  const act = actFor(setExitCode);
  const money = (raw: string): number => {
    const n = Number(raw);
    if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a positive number, got "${raw}" (a budget must be more than zero).`);
    return n;
  };
  const withDoOptions = (c: Command) =>
    c
      .option('--repo <path>', 'the git repository to work on')
      .option('--target <branch>', 'the branch to merge into (default main)')
      .option('--verify <command>', "the repository's verification command, run on every merge (e.g. \"npm test\")")
      .addOption(new Option('--concurrency <n>', 'workers at once').argParser(intArg(1, 16)))
      .addOption(new Option('--budget-usd <n>', "the team's budget in USD (stops the team when spent)").argParser(money))
      .addOption(new Option('--budget-tokens <n>', "the team's budget in tokens").argParser(intArg(1, Number.MAX_SAFE_INTEGER)))
      .option('--allow-red-base', "the target's verification may already fail: do not require the team to fix it first")
      .option('--dry-run', 'print the plan (team, tasks) and start nothing')
      .option('--url <url>', 'a running Godel server (default: start a local one for this command)')
      .option('--playbook <file>', 'offline scripted-model playbook for the local server (no LLM provider configured)')
      .addOption(new Option('--timeout <s>', 'cancel the team after this many seconds').argParser(intArg(1, 7 * 86400)))
      .option('--json', 'JSON lines on stdout (events, then a summary); progress goes to stderr');
  type DoFlags = Omit<DoOptions, 'intent' | 'timeoutS'> & { timeout?: number; json?: boolean };

  withDoOptions(
    program
      .command('do')
      .argument('[intent]', 'what the team should do (quoted)')
      .description('form a team for an intent: plan, work in parallel, review, merge verified commits; live progress, then a summary')
      .option('--workflow <name|file>', 'take the task DAG from a workflow template instead of the coordinator')
      .option('--sample', 'run on a fresh copy of the bundled sample repository with its scripted playbook (offline)'),
  ).action(act<DoFlags>('do', (f, out, life, args) => runDo({ ...f, intent: args[0], timeoutS: f.timeout }, loadConfig(), out, life)));

  const TEAM_STATUSES = ['planning', 'running', 'succeeded', 'failed', 'cancelled'];
  const TASK_STATUSES = ['pending', 'ready', 'running', 'in_review', 'merging', 'done', 'failed', 'cancelled'];

  const team = program.command('team').description('teams on a running server: list, get, cancel (GODEL_API_KEY or `godel auth login` first)');
  apiOptions(team.command('list').description('list teams, newest first: status, task counts, merged commits, cost'))
    .addOption(new Option('--status <status>', 'only teams with this status').choices(TEAM_STATUSES))
    .addOption(new Option('--limit <n>', 'at most this many teams').argParser(intArg(1, 500)))
    .action(act<ApiFlags & { status?: string; limit?: number }>('team list', (f, out) => teamList(f, loadConfig(), out)));
  apiOptions(team.command('get').argument('<team>', 'the team (see godel team list)').description('show a team: status, intent, tasks, members, merged commits, cost')).action(
    act<ApiFlags>('team get', (f, out, _l, args) => teamGet(args[0], f, loadConfig(), out)),
  );
  apiOptions(team.command('cancel').argument('<team>', 'the team (see godel team list)').description("cancel a team: its agents stop; what was merged stays (needs operator)"))
    .option('--reason <text>', 'why (kept with the team and in the event log)')
    .action(act<ApiFlags & { reason?: string }>('team cancel', (f, out, _l, args) => teamCancel(args[0], f, loadConfig(), out)));

  const task = program.command('task').description("teams' tasks on a running server: list, get");
  apiOptions(task.command('list').description('list tasks of a team (or of the latest teams)'))
    .option('--team <team>', 'only this team')
    .addOption(new Option('--status <status>', 'only tasks with this status').choices(TASK_STATUSES))
    .action(act<ApiFlags & { team?: string; status?: string }>('task list', (f, out) => taskList(f, loadConfig(), out)));
  apiOptions(task.command('get').argument('<team>', 'the team').argument('<task>', 'the task id (see godel task list --team <team>)').description('show a task: status, worker, rounds, commits, prompt')).action(
    act<ApiFlags>('task get', (f, out, _l, args) => taskGet(args[0], args[1], f, loadConfig(), out)),
  );

  const workflow = program.command('workflow').description('workflow templates: list, show, validate, run');
  workflow
    .command('list')
    .description('list the built-in workflow templates')
    .option('--json', 'one JSON document on stdout')
    .action(act<{ json?: boolean }>('workflow list', async (_f, out) => workflowList(out)));
  workflow
    .command('show')
    .argument('<name|file>', 'a built-in name or a YAML file')
    .description('show a workflow template (tasks and dependencies)')
    .option('--json', 'one JSON document on stdout')
    .action(act<{ json?: boolean }>('workflow show', async (_f, out, _l, args) => workflowShow(args[0], out)));
  workflow
    .command('validate')
    .argument('<file>', 'a workflow YAML file')
    .description('validate a workflow file; every problem is reported with its line and field')
    .option('--json', 'one JSON document on stdout')
    .action(act<{ json?: boolean }>('workflow validate', async (_f, out, _l, args) => workflowValidate(args[0], out)));
  withDoOptions(
    workflow
      .command('run')
      .argument('<name|file>', 'a built-in name or a YAML file')
      .argument('<intent>', 'what the team should do (quoted)')
      .description('run an intent with a workflow template (same as godel do --workflow)'),
  ).action(act<DoFlags>('workflow run', (f, out, life, args) => runDo({ ...f, workflow: args[0], intent: args[1], timeoutS: f.timeout }, loadConfig(), out, life)));
}

/** `godel dashboard`: the dashboard's URL. */
export function addDashboard(program: Command, setExitCode: (code: number) => void): void {
  const act = actFor(setExitCode);
  apiOptions(program.command('dashboard').description("print the URL of the server's dashboard (teams, agents, tasks, merge queue, live events in a browser)")).action(
    act<ApiFlags>('dashboard', (f, out) => dashboardUrl(f, loadConfig(), out)),
  );
}
