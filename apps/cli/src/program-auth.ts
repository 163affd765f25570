import { loadConfig } from '@godel/config';
import type { Command } from 'commander';
import { EXIT } from './cli-error';
import { authLogin, authWhoami, keysCreate, keysList, keysRevoke } from './commands/auth';
import { createOutput, type Output } from './output';
import { fail } from './program-support';

/** `godel auth …`: log in with an API key, who am I, manage keys (admin). Tokens live in the credentials file. */
export function addAuth(program: Command, setExitCode: (code: number) => void): void {
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
