import { GodelError } from '@godel/actors';

/** A request body or query that does not fit the route's contract (HTTP 422, problem+json). */
export class InvalidRequest extends GodelError {
  readonly code = 'request.invalid';
  readonly retryable = false;
}

/** An id that names nothing (HTTP 404, problem+json). */
export class NotFound extends GodelError {
  readonly code = 'resource.not_found';
  readonly retryable = false;
}
