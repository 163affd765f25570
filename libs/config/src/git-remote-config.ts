import { readFileSync } from 'node:fs';
import { ConfigError } from './godel-config';

/**
 * The server's credentials for repository URLs (issue 12). They reach only the git processes the
 * server runs for fetch and push (libs/workspace RepoMirrors), never an agent.
 */
export interface GitRemoteConfig {
  /** GODEL_GIT_USERNAME: user name for https (default `x-access-token`). */
  username?: string;
  /** The password or token, read from the file GODEL_GIT_CREDENTIALS names (mode 0600 advised). */
  password?: string;
  /** GODEL_GIT_SSH_KEY: private key file for ssh:// URLs. */
  sshKeyFile?: string;
  /** GODEL_GIT_CA_FILE: CA bundle for https servers with a private CA. */
  caFile?: string;
}

/** Reads GODEL_GIT_USERNAME, GODEL_GIT_CREDENTIALS (a token file), GODEL_GIT_SSH_KEY, GODEL_GIT_CA_FILE; config.invalid when the token file cannot be read. */
export function loadGitRemoteConfig(env: Record<string, string | undefined> = process.env): GitRemoteConfig {
  const file = env.GODEL_GIT_CREDENTIALS || undefined;
  let password: string | undefined;
  if (file) {
    try {
      password = readFileSync(file, 'utf8').trim() || undefined;
    } catch (err) {
      throw new ConfigError(`GODEL_GIT_CREDENTIALS names ${file}, which cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return { username: env.GODEL_GIT_USERNAME || undefined, password, sshKeyFile: env.GODEL_GIT_SSH_KEY || undefined, caFile: env.GODEL_GIT_CA_FILE || undefined };
}
