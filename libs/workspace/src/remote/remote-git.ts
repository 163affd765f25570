import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkspaceError } from '../errors/workspace-error';
import { createGitRunner, gitStderr, type GitRunner } from '../git/git-runner';
import { redactSecrets } from './repo-source';

/**
 * The server's git credentials for remote repositories. They live only in the environment of the
 * git processes the server runs for fetch and push (GIT_ASKPASS answers from it); never in a
 * URL, a repository's config, an agent's environment or anything an agent's sandbox mounts.
 */
export interface GitCredentials {
  /** User name for https (default `x-access-token`, what token-based hosts accept). */
  username?: string;
  /** Password or token for https. */
  password?: string;
  /** Private key for ssh:// (used with IdentitiesOnly, no agent, no prompt). */
  sshKeyFile?: string;
  /** known_hosts for ssh:// (default: StrictHostKeyChecking=accept-new in the mirror home). */
  knownHostsFile?: string;
  /** CA bundle for https:// servers with a private CA (GIT_SSL_CAINFO). */
  caFile?: string;
}

export interface RemoteGitOptions {
  /** The instance's home (GODEL_HOME): the askpass helper and an empty HOME for git go under it. */
  home: string;
  credentials?: GitCredentials;
  /** PATH for git (git itself and the ssh it runs). */
  path?: string;
  timeoutMs?: number;
  gitBinary?: string;
}

const ASKPASS = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$GODEL_GIT_USERNAME" ;;
  *) printf '%s\\n' "$GODEL_GIT_PASSWORD" ;;
esac
`;

/**
 * A git runner for talking to remotes: explicit environment (nothing inherited from the server's
 * own), no terminal prompt, no system/global config, the credentials through GIT_ASKPASS.
 */
export async function remoteGitRunner(o: RemoteGitOptions): Promise<GitRunner> {
  const gitHome = join(o.home, 'git-home');
  await mkdir(gitHome, { recursive: true, mode: 0o700 });
  const env: Record<string, string> = {
    PATH: o.path ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: gitHome,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
  const c = o.credentials;
  if (c?.password) {
    const askpass = join(gitHome, 'godel-askpass.sh');
    await writeFile(askpass, ASKPASS, { mode: 0o700 });
    await chmod(askpass, 0o700);
    env.GIT_ASKPASS = askpass;
    env.GODEL_GIT_USERNAME = c.username ?? 'x-access-token';
    env.GODEL_GIT_PASSWORD = c.password;
  }
  if (c?.caFile) env.GIT_SSL_CAINFO = c.caFile;
  const known = c?.knownHostsFile ?? join(gitHome, 'known_hosts');
  const identity = c?.sshKeyFile ? ['-i', c.sshKeyFile, '-o', 'IdentitiesOnly=yes'] : [];
  // Set here, so a core.sshCommand in a repository's config is never what runs.
  env.GIT_SSH_COMMAND = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${known}`, ...identity].map(shellQuote).join(' ');
  const run = createGitRunner({ env, timeoutMs: o.timeoutMs ?? 120_000, gitBinary: o.gitBinary });
  const secrets = [c?.password];
  return async (args, call) => {
    try {
      return await run(args, call);
    } catch (err) {
      throw classifyRemoteError(err, secrets);
    }
  };
}

/** A failed remote git call as a typed error, with the secrets redacted from message and details. */
export function classifyRemoteError(err: unknown, secrets: readonly (string | undefined)[] = []): WorkspaceError {
  const stderr = redactSecrets(gitStderr(err), secrets);
  const message = redactSecrets(err instanceof Error ? err.message : String(err), secrets);
  const details: Record<string, unknown> = { ...((err as { details?: Record<string, unknown> }).details ?? {}), stderr };
  if (Array.isArray(details.args)) details.args = (details.args as string[]).map((a) => redactSecrets(a, secrets));
  const is = (re: RegExp) => re.test(stderr);
  if (is(/non-fast-forward|\[rejected\]|fetch first|stale info|Updates were rejected/)) return new WorkspaceError('workspace.non_fast_forward', `the remote moved: ${message}`, details);
  if (is(/Authentication failed|could not read (Username|Password)|terminal prompts disabled|Permission denied \(publickey|HTTP 40[13]|returned error: 40[13]|Invalid username or password/i)) {
    return new WorkspaceError('workspace.auth_failed', `the remote refused the server's credentials (GODEL_GIT_CREDENTIALS): ${message}`, details);
  }
  if (is(/\[remote rejected\]|hook declined|protected branch|pre-receive|GH006|denied to update/i)) {
    return new WorkspaceError('workspace.push_refused', `the remote refused the push (a hook or a branch protection rule): ${message}`, details);
  }
  if (is(/couldn't find remote ref|Couldn't find remote ref/)) return new WorkspaceError('workspace.remote_ref_missing', message, details);
  if (is(/access denied or repository not exported|Could not resolve host|Connection refused|unable to connect|Could not read from remote|does not appear to be a git repository|unable to access|not found|No such file or directory|timed out|Connection timed out|No route to host|not a git repository/i) || /timed out/.test(message)) {
    return new WorkspaceError('workspace.unreachable', `the repository cannot be reached: ${message}`, details);
  }
  if (err instanceof WorkspaceError && !secrets.some((s) => s && JSON.stringify(err.details).includes(s))) return err;
  return new WorkspaceError('workspace.git_failed', message, details);
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
