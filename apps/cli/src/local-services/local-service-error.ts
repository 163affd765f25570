export type LocalServiceErrorCode =
  /** No REDIS_URL and no `redis-server` binary to start a private one. */
  | 'services.redis_missing'
  /** The given Redis does not answer, or the private redis-server did not come up. */
  | 'services.redis_unavailable'
  /** The given PostgreSQL does not answer, or the embedded one could not be initialised or started. */
  | 'services.postgres_unavailable';

/**
 * Why a local Redis or PostgreSQL could not be provided. Same JSON shape as the domain errors
 * (`code`, `message`, `retryable`, `details`); the message always ends with what to do next.
 * `details` never holds passwords (URLs are redacted).
 */
export class LocalServiceError extends Error {
  constructor(
    readonly code: LocalServiceErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LocalServiceError';
  }

  toJSON(): { code: string; message: string; retryable: boolean; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

export function isLocalServiceError(err: unknown, code?: LocalServiceErrorCode): err is LocalServiceError {
  return err instanceof LocalServiceError && (code === undefined || err.code === code);
}

/**
 * The typed error of a Redis (or Redis Cluster) the user pointed Godel at that does not work: a bad
 * password is not retryable and says which setting to fix; anything else is, with `startHint`.
 */
export function redisUnusable(err: unknown, shown: string, problem: string, startHint: string): LocalServiceError {
  const msg = (err as Error).message;
  const badAuth = /NOAUTH|WRONGPASS|invalid password|invalid username/i.test(msg);
  return new LocalServiceError('services.redis_unavailable', `${problem.replace('%s', shown)} (${msg}). ${badAuth ? 'Fix the user/password in REDIS_URL' : startHint}`, !badAuth, { url: shown }, { cause: err });
}
