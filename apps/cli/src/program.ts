import { CommanderError, Command } from 'commander';
import { EXIT } from './cli-error';
import { addAuth } from './program-auth';
import { addDashboard, addTeamCommands } from './program-teams';
import { addLocalCommands } from './program-local';
import { addServerCommands } from './program-server';
import { serverAction, serverOptions, version } from './program-support';
import { registerFederation } from './commands/federation';

/**
 * The command groups, registered in this order (it is the order of `godel --help`). A new group is
 * a function `(program, setExitCode) => void` in its own program-*.ts file, added here.
 */
const COMMAND_GROUPS: Array<(program: Command, setExitCode: (code: number) => void) => void> = [
  addLocalCommands,
  addTeamCommands,
  addAuth,
  addDashboard,
  addServerCommands,
  (program, setExitCode) => registerFederation(program, { options: serverOptions, action: (name, fn) => serverAction(name, setExitCode, fn) }),
];

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
  for (const register of COMMAND_GROUPS) register(program, setExitCode);
  return program;
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
