import { loadConfig } from '@godel/config';
import { Option, type Command } from 'commander';
import { EXIT } from './cli-error';
import { runDemo } from './commands/demo';
import { renderDemoReport } from './commands/demo-report';
import { runUp } from './commands/up';
import { Lifecycle } from './lifecycle';
import { createOutput } from './output';
import { fail, intArg } from './program-support';

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

/** `godel demo` (the failover demo) and `godel up` (one server on local services). */
export function addLocalCommands(program: Command, setExitCode: (code: number) => void): void {
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
}
