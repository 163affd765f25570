import { ConfigError } from '@godel/config';
import { isLocalServiceError } from './local-services';

/** Exit codes of every `godel` command. */
export const EXIT = {
  ok: 0,
  /** The command ran and its check failed (the demo lost or duplicated a message, a server exited with an error). */
  checkFailed: 1,
  /** Bad flags or configuration: fix the command line or the environment. */
  usage: 2,
  /** Redis or PostgreSQL could not be reached or started; or the server answered 503/429 (retry later). */
  servicesUnavailable: 3,
  unavailable: 3,
  /** Not logged in, credentials expired or revoked, or the key's role is too weak (401/403). */
  auth: 4,
  unauthorized: 4,
  /** No Godel server answers at the URL (start one with `godel up`). */
  unreachable: 5,
  /** The server answered 404: no such thing. */
  notFound: 6,
  /** Stopped by Ctrl-C / SIGTERM (128 + SIGINT). */
  interrupted: 130,
} as const;

/** An error the CLI reports as is: a message that ends with what to do next, a stable code, an exit code. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }

  toJSON(): { code: string; message: string; exitCode: number; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, exitCode: this.exitCode, details: this.details };
  }
}

/** Maps whatever was thrown to a CliError with the right exit code. */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (isLocalServiceError(err)) return new CliError(err.code, err.message, EXIT.servicesUnavailable, err.details, { cause: err });
  if (err instanceof ConfigError) {
    return new CliError(err.code, `${err.message}. Fix that environment variable (or unset it to use the default) and run the command again`, EXIT.usage, {}, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError('cli.unexpected', `unexpected error: ${message}`, EXIT.checkFailed, {}, { cause: err });
}
