import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '@godel/config';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, toCliError } from './cli-error';
import { authLogin, authWhoami, keysCreate, keysList, keysRevoke } from './commands/auth';
import { runDemo } from './commands/demo';
import { renderDemoReport } from './commands/demo-report';
import { runUp } from './commands/up';
import { runDo, type DoOptions } from './commands/do';
import { workflowList, workflowShow, workflowValidate } from './commands/workflow';
import { agentAction, agentGet, agentList } from './commands/agent';
import { instances, metrics } from './commands/cluster';
import { eventsReplay, eventsTail, replayRecord, type EventFilter } from './commands/events';
import { readRecordedEvents } from './run-record';
import { GodelHttp } from './http';
import { ApiClient } from './api-client';
import type { ApiFlags } from './commands/api';
import { dashboardUrl } from './commands/dashboard';
import { taskGet, taskList } from './commands/task';
import { teamCancel, teamGet, teamList } from './commands/team';
import { Lifecycle } from './lifecycle';
import { createOutput, type Output } from './output';

function intArg(min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a whole number, got "${raw}".`);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number between ${min} and ${max}, got ${n}.`);
    return n;
  };
}

function version(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'godel' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

/** Reports a failed command: a message that says what to do next (stderr), plus a JSON document in --json mode. */
function fail(out: Output, command: string, err: unknown): number {
  const e = toCliError(err);
  out.warn(`${command}: ${e.message}`);
  out.emit({ ok: false, error: e.toJSON() });
  return e.exitCode;
}

interface DemoFlags {
  instances: number;
  actors: number;
  messages: number;
  kills: number;
  rate?: number;
  replace: boolean;
  json?: boolean;
}

interface UpFlags {
  port?: number;
  verbose?: boolean;
  json?: boolean;
}

/** The `godel` command line. Every action resolves with the process exit code (see EXIT). */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('godel')
    .description('Godel: a control plane for AI coding agents, on an actor runtime over Redis + PostgreSQL.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run `godel --help`, or `godel <command> --help`, for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 check failed or server error, 2 usage or configuration error, 3 Redis/PostgreSQL or the server unavailable (retry),\n' +
        '4 not logged in or not allowed, 5 no server at --url (start one with `godel up`), 6 not found, 130 interrupted.\n' +
        'Services: REDIS_URL and DATABASE_URL when set; otherwise a private redis-server (if installed) and an embedded PostgreSQL under GODEL_HOME.\n' +
        'Server commands talk to --url, else GODEL_URL, else http://127.0.0.1:7373; they log in with GODEL_API_KEY or the saved `godel auth login`.',
    )
    .exitOverride();

  program
    .command('demo')
    .description('run N Godel servers, stream messages to counter actors, SIGKILL the busiest server mid-stream, and prove nothing was lost or duplicated')
    .addOption(new Option('--instances <n>', 'server processes to start').argParser(intArg(1, 16)).default(3))
    .addOption(new Option('--actors <n>', 'counter actors to send to').argParser(intArg(1, 10_000)).default(20))
    .addOption(new Option('--messages <n>', 'inc messages to send').argParser(intArg(1, 1_000_000)).default(3000))
    .addOption(new Option('--kills <n>', 'SIGKILLs of the server holding the most shards, spread over the stream').argParser(intArg(0, 10)).default(2))
    .addOption(new Option('--rate <n>', 'messages per second (default: the stream lasts ~5 s per kill phase)').argParser(intArg(1, 100_000)))
    .option('--no-replace', 'do not start a replacement server after each kill')
    .option('--json', 'print one JSON document on stdout (progress goes to stderr)')
    .action(async (flags: DemoFlags) => {
      const out = createOutput(!!flags.json);
      const life = new Lifecycle(out);
      try {
        const report = await runDemo(
          { instances: flags.instances, actors: flags.actors, messages: flags.messages, kills: flags.kills, rate: flags.rate, replace: flags.replace },
          loadConfig(),
          out,
          life,
        );
        const cleanup = Date.now();
        await life.close();
        report.timings.cleanupMs = Date.now() - cleanup;
        report.durationMs += report.timings.cleanupMs;
        out.print(renderDemoReport(report));
        out.emit(report);
        setExitCode(report.ok ? EXIT.ok : EXIT.checkFailed);
      } catch (err) {
        if (life.interrupted) {
          await life.close();
          setExitCode(EXIT.interrupted);
          return;
        }
        await life.close();
        setExitCode(fail(out, 'demo', err));
      } finally {
        life.dispose();
      }
    });

  program
    .command('up')
    .description('run one Godel server in the foreground on local services (REDIS_URL / DATABASE_URL, else a private redis-server and an embedded PostgreSQL)')
    .addOption(new Option('--port <n>', 'HTTP port (default: GODEL_PORT or 7373)').argParser(intArg(0, 65_535)))
    .option('--verbose', 'show every server log line (default: start-up lines hidden, shard events summarised)')
    .option('--json', 'JSON lines on stdout (the server\'s own JSON log lines, forwarded); progress goes to stderr')
    .action(async (flags: UpFlags) => {
      const out = createOutput(!!flags.json);
      const life = new Lifecycle(out, 0);
      try {
        const code = await runUp({ port: flags.port, verbose: flags.verbose }, loadConfig(), out, life);
        await life.close();
        setExitCode(code);
      } catch (err) {
        await life.close();
        setExitCode(fail(out, 'up', err));
      } finally {
        life.dispose();
      }
    });

  /** Runs a command's body with output, lifecycle and error reporting; the body resolves with the exit code. */
  const act =
    <F extends { json?: boolean }>(name: string, body: (flags: F, out: Output, life: Lifecycle, args: string[]) => Promise<number>) =>
    async (...a: unknown[]) => {
      const cmd = a[a.length - 1] as Command;
      const flags = cmd.opts<F>();
      const out = createOutput(!!flags.json);
      const life = new Lifecycle(out);
      try {
        const code = await body(flags, out, life, cmd.args);
        await life.close();
        setExitCode(code);
      } catch (err) {
        await life.close();
        setExitCode(life.interrupted ? EXIT.interrupted : fail(out, name, err));
      } finally {
        life.dispose();
      }
    };

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

  const apiOptions = (c: Command) =>
    c.option('--url <url>', 'the Godel server (default: GODEL_URL or http://127.0.0.1:<GODEL_PORT>)').option('--json', 'one JSON document on stdout');
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

  addAuth(program, setExitCode);

  apiOptions(program.command('dashboard').description("print the URL of the server's dashboard (teams, agents, tasks, merge queue, live events in a browser)")).action(
    act<ApiFlags>('dashboard', (f, out) => dashboardUrl(f, loadConfig(), out)),
  );
  addServerCommands(program, setExitCode);
  return program;
}

/** `godel auth …`: log in with an API key, who am I, manage keys (admin). Tokens live in the credentials file. */
function addAuth(program: Command, setExitCode: (code: number) => void): void {
  const run = (command: string, json: boolean | undefined, fn: (out: Output, config: ReturnType<typeof loadConfig>) => Promise<void>) => {
    const out = createOutput(!!json);
    return (async () => {
      try {
        await fn(out, loadConfig());
        setExitCode(EXIT.ok);
      } catch (err) {
        setExitCode(fail(out, command, err));
      }
    })();
  };
  const auth = program.command('auth').description('log in to a Godel server with an API key, show who you are, manage API keys (admin)');
  auth
    .command('login')
    .description('exchange an API key for tokens, saved to $GODEL_HOME/credentials.json or ~/.godel/credentials.json (mode 0600; the key itself is not stored)')
    .option('--url <url>', 'server URL (default: GODEL_URL or http://127.0.0.1:<GODEL_PORT>)')
    .option('--key <key>', 'API key (default: GODEL_API_KEY)')
    .option('--json', 'print one JSON document on stdout')
    .action((flags: { url?: string; key?: string; json?: boolean }) =>
      run('auth login', flags.json, (out, config) => authLogin({ url: flags.url ?? config.cli.url, key: flags.key ?? config.cli.apiKey, file: config.cli.credentialsFile }, out)),
    );
  auth
    .command('whoami')
    .description('show the key the saved login belongs to, as the server sees it')
    .option('--json', 'print one JSON document on stdout')
    .action((flags: { json?: boolean }) => run('auth whoami', flags.json, (out, config) => authWhoami(config.cli.credentialsFile, out)));
  const keys = auth.command('keys').description('list, create and revoke API keys (needs an admin key)');
  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--all', 'include revoked keys')
    .option('--json', 'print one JSON document on stdout')
    .action((flags: { all?: boolean; json?: boolean }) => run('auth keys list', flags.json, (out, config) => keysList(config.cli.credentialsFile, !!flags.all, out)));
  keys
    .command('create')
    .description('create an API key; its secret is printed once')
    .requiredOption('--name <name>', 'a name for the key (who or what uses it)')
    .requiredOption('--role <role>', 'admin, operator or viewer')
    .option('--json', 'print one JSON document on stdout')
    .action((flags: { name: string; role: string; json?: boolean }) => run('auth keys create', flags.json, (out, config) => keysCreate(config.cli.credentialsFile, flags, out)));
  keys
    .command('revoke <id>')
    .description('revoke an API key: its tokens stop working on every instance within a second')
    .option('--json', 'print one JSON document on stdout')
    .action((id: string, flags: { json?: boolean }) => run('auth keys revoke', flags.json, (out, config) => keysRevoke(config.cli.credentialsFile, id, out)));
}

interface ServerFlags {
  url?: string;
  json?: boolean;
}

/** --url and --json on a command that talks to a running server. */
function serverOptions(cmd: Command): Command {
  return cmd.option('--url <url>', 'Godel server URL (default: GODEL_URL or http://127.0.0.1:7373)').option('--json', 'machine output on stdout (one JSON document, or JSON lines for streams)');
}

/** Runs `fn` with the HTTP client and output of a server command; reports failures with what to do next. */
function serverAction<A extends unknown[]>(name: string, setExitCode: (code: number) => void, fn: (http: GodelHttp, out: Output, ...args: A) => Promise<number>) {
  return async (...args: A): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const flags = cmd.opts<ServerFlags>();
    const out = createOutput(!!flags.json);
    try {
      const config = loadConfig();
      const url = flags.url ?? config.cli.url;
      if (!/^https?:\/\/[^\s/]+/.test(url)) throw new InvalidArgumentError(`--url must be an http(s) URL such as http://127.0.0.1:7373, got "${url}"`);
      const api = await ApiClient.connect(url, { apiKey: config.cli.apiKey, credentialsFile: config.cli.credentialsFile });
      setExitCode(await fn(api.http, out, ...args));
    } catch (err) {
      if (err instanceof InvalidArgumentError) {
        out.warn(`${name}: ${err.message}`);
        out.emit({ ok: false, error: { code: 'cli.usage', message: err.message, exitCode: EXIT.usage } });
        setExitCode(EXIT.usage);
        return;
      }
      setExitCode(fail(out, name, err));
    }
  };
}

function addServerCommands(program: Command, setExitCode: (code: number) => void): void {
  const agent = program.command('agent').description('list, inspect, steer, abort, stop and fork agents on a running server');
  serverOptions(agent.command('list').description('list agents').option('--team <team>', 'only this team')).action(
    serverAction('agent list', setExitCode, (http, out, flags: { team?: string }) => agentList(http, out, flags.team)),
  );
  serverOptions(agent.command('get').description("an agent's state").argument('<agent>', 'TEAM/NAME')).action(serverAction('agent get', setExitCode, (http, out, ref: string) => agentGet(http, out, ref)));
  serverOptions(agent.command('steer').description('steer a running agent (a message it reads before its next step)').argument('<agent>', 'TEAM/NAME').argument('<text...>', 'what to tell it')).action(
    serverAction('agent steer', setExitCode, (http, out, ref: string, text: string[]) => agentAction(http, out, ref, 'steer', { text: text.join(' ') })),
  );
  for (const action of ['abort', 'stop'] as const) {
    serverOptions(
      agent
        .command(action)
        .description(action === 'abort' ? "abort the agent's current turn (it stays alive)" : 'stop the agent and its process')
        .argument('<agent>', 'TEAM/NAME')
        .option('--reason <text>', 'why (kept in the event log)'),
    ).action(serverAction(`agent ${action}`, setExitCode, (http, out, ref: string, flags: { reason?: string }) => agentAction(http, out, ref, action, { reason: flags.reason })));
  }
  serverOptions(
    agent
      .command('fork')
      .description('fork an agent: a new agent on a new worktree from the same commit, with the conversation so far')
      .argument('<agent>', 'TEAM/NAME to fork')
      .argument('<name>', 'name of the new agent (same team)')
      .option('--entry <id>', 'session entry to fork at (default: the end)'),
  ).action(serverAction('agent fork', setExitCode, (http, out, ref: string, name: string, flags: { entry?: string }) => agentAction(http, out, ref, 'fork', { name, entry: flags.entry })));

  const events = program.command('events').description('the event log: follow it live (tail) or read it back (replay)');
  const filters = (cmd: Command) =>
    cmd.option('--team <team>', 'only this team').option('--agent <agent>', 'only this agent (TEAM/NAME)').option('--type <type>', 'only this event type (e.g. agent.turn_completed)');
  serverOptions(
    filters(
      events
        .command('tail')
        .description('follow events live (SSE); resumes after a dropped connection without missing any')
        .addOption(new Option('--after <seq>', 'start after this sequence number (default: the current end)').argParser(intArg(0, Number.MAX_SAFE_INTEGER)))
        .addOption(new Option('--count <n>', 'stop after n events').argParser(intArg(1, 10_000_000))),
    ),
  ).action(
    serverAction('events tail', setExitCode, async (http, out, flags: EventFilter & { after?: number; count?: number }) => {
      const ctrl = new AbortController();
      const stop = () => ctrl.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        return await eventsTail(http, out, { after: flags.after, count: flags.count, filter: { team: flags.team, agent: flags.agent, type: flags.type }, signal: ctrl.signal });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    }),
  );
  serverOptions(
    filters(
      events
        .command('replay')
        .description('print stored events after a sequence number, then exit')
        .addOption(new Option('--after <seq>', 'start after this sequence number').argParser(intArg(0, Number.MAX_SAFE_INTEGER)).default(0))
        .addOption(new Option('--max <n>', 'at most n events').argParser(intArg(1, 10_000_000))),
    ),
  ).action(async (...args: unknown[]) => {
    // A one-shot `godel do` left a record of its team (its server is gone): read that, no server needed.
    const flags = (args[args.length - 1] as Command).opts<EventFilter & { after: number; max?: number; url?: string; json?: boolean }>();
    const recorded = flags.team && !flags.url ? readRecordedEvents(loadConfig().homeDir, flags.team) : undefined;
    if (recorded) {
      setExitCode(replayRecord(createOutput(!!flags.json), recorded, flags.after, { team: flags.team, agent: flags.agent, type: flags.type }, flags.max));
      return;
    }
    await serverAction('events replay', setExitCode, (http, out, ...rest: unknown[]) => {
      const f = rest[0] as EventFilter & { after: number; max?: number };
      return eventsReplay(http, out, f.after, { team: f.team, agent: f.agent, type: f.type }, f.max);
    })(...args);
  });

  serverOptions(program.command('instances').description('live server instances and the shards each owns')).action(serverAction('instances', setExitCode, (http, out) => instances(http, out)));
  serverOptions(program.command('metrics').description("the server's runtime metrics (Prometheus /metrics, summarised)").option('--all', 'every metric, process metrics included')).action(
    serverAction('metrics', setExitCode, (http, out, flags: { all?: boolean }) => metrics(http, out, !!flags.all)),
  );
}

/** Runs the CLI on `argv` (process.argv shape) and resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; bare `godel` (help shown as an error), unknown commands and bad flags exit 2.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }
  return code;
}
