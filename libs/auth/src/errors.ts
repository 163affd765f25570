import { GodelError } from '@godel/actors';

/** No credentials on a route that needs them (HTTP 401). */
export class AuthMissingError extends GodelError {
  readonly code = 'auth.missing';
  readonly retryable = false;
}

/** Credentials that are wrong, revoked or tampered with (HTTP 401). */
export class AuthInvalidError extends GodelError {
  readonly code = 'auth.invalid';
  readonly retryable = false;
}

/** An access token past its expiry: refresh it (HTTP 401). */
export class AuthExpiredError extends GodelError {
  readonly code = 'auth.expired';
  readonly retryable = false;
}

/** A refresh token used twice: its whole family is now revoked (HTTP 401). */
export class RefreshReusedError extends GodelError {
  readonly code = 'auth.refresh_reused';
  readonly retryable = false;
}

/** Authenticated, but the role is too weak for the route (or the route declares no role) (HTTP 403). */
export class AuthForbiddenError extends GodelError {
  readonly code = 'auth.forbidden';
  readonly retryable = false;
}

/** No API key with that id (HTTP 404). */
export class KeyNotFoundError extends GodelError {
  readonly code = 'auth.key_not_found';
  readonly retryable = false;
}

/** The key's token bucket is empty (HTTP 429 with Retry-After). */
export class RateLimitedError extends GodelError {
  readonly code = 'rate.limited';
  readonly retryable = true;
  constructor(readonly retryAfterMs: number) {
    super(`rate limit reached for this API key; retry in ${Math.ceil(retryAfterMs / 1000)} s`, { retryAfterS: Math.max(1, Math.ceil(retryAfterMs / 1000)) });
  }
}
