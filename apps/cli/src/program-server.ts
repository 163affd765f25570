import { loadConfig } from '@godel/config';
import { Option, type Command } from 'commander';
import { agentAction, agentGet, agentList } from './commands/agent';
import { instances, metrics } from './commands/cluster';
import { eventsReplay, eventsTail, replayRecord, type EventFilter } from './commands/events';
import { createOutput } from './output';
import { intArg, serverAction, serverOptions } from './program-support';
import { readRecordedEvents } from './run-record';

/** `godel agent`, `events`, `instances` and `metrics`: a running server's agents, event log and cluster. */
export function addServerCommands(program: Command, setExitCode: (code: number) => void): void {
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
