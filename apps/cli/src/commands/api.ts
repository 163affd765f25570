import type { GodelConfig } from '@godel/config';
import { ApiClient } from '../api-client';
import { CliError } from '../cli-error';

/** Flags every API command takes. */
export interface ApiFlags {
  url?: string;
  json?: boolean;
}

/** The API client of a command: `--url`, else config (GODEL_URL or the local port); GODEL_API_KEY or the saved login. */
export function connectApi(flags: ApiFlags, config: GodelConfig): Promise<ApiClient> {
  return ApiClient.connect(flags.url ?? config.cli.url, { apiKey: config.cli.apiKey, credentialsFile: config.cli.credentialsFile });
}

/** Adds what to do next to a 404 of the API (an unknown team or task). */
export async function orNotFound<T>(p: Promise<T>, hint: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof CliError && err.details.status === 404) throw new CliError(err.code, `${err.message}. ${hint}`, err.exitCode, err.details);
    throw err;
  }
}
