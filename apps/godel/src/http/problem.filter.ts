import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import { isConnectionError } from '@godel/runtime-redis';

interface HttpResponse {
  setHeader(name: string, value: string): void;
  status(code: number): { type(t: string): { send(body: unknown): void } };
}

const STATUS: Record<string, number> = {
  'actor.invalid_id': 422,
  'actor.unknown_kind': 404,
  'message.too_large': 413,
  'mailbox.full': 429,
  'ask.timeout': 504,
  'runtime.stopped': 503,
  'storage.unavailable': 503,
  'mailbox.unavailable': 503,
  'request.invalid': 422,
  'message.unknown_type': 422,
  'agent.invalid_state': 409,
  'actor.handler_failed': 500,
  'resource.not_found': 404,
  'intent.invalid': 422,
  'workflow.invalid': 422,
  'plan.invalid': 422,
  'auth.missing': 401,
  'auth.invalid': 401,
  'auth.expired': 401,
  'auth.refresh_reused': 401,
  'auth.forbidden': 403,
  'auth.key_not_found': 404,
  'rate.limited': 429,
  'message.not_allowed': 403,
  'repo.outside_roots': 403,
  'repo.not_registered': 403,
  'stream.limit': 429,
  'federation.full': 503,
  'federation.rpc_failed': 502,
  'federation.instance_unavailable': 503,
  'workspace.bad_url': 422,
  'workspace.unreachable': 502,
  'workspace.auth_failed': 502,
  'workspace.non_fast_forward': 409,
  'workspace.remote_ref_missing': 422,
};

/** PostgreSQL's connection failures (node-postgres and TypeORM) carry no errno code, only a message. */
const PG_CONNECTION = /Connection terminated|timeout exceeded when trying to connect|terminating connection due to administrator command|the database system is (starting up|shutting down)/i;

/**
 * A socket-level failure of Redis or PostgreSQL that no domain error wrapped (a refused or reset
 * connection): the service is unavailable for now, not broken — 503 and retryable, not 500.
 */
function backingServiceDown(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if (isConnectionError(err)) return true;
  return PG_CONNECTION.test(String((err as { message?: unknown }).message ?? ''));
}

/** Maps domain errors (stable codes) to problem+json; the only place that knows HTTP statuses. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpResponse>();
    let status = 500;
    let code = 'internal';
    let detail = 'internal error';
    let retryable = false;
    let retryAfterS = 1;
    if (!(err instanceof HttpException) && !(typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code in STATUS) && backingServiceDown(err)) {
      // Internal addresses stay out of the answer; the caller learns what to do.
      status = 503;
      code = 'storage.unavailable';
      detail = 'Redis or PostgreSQL is unreachable from this instance right now; retry shortly';
      retryable = true;
    } else if (err instanceof HttpException) {
      status = err.getStatus();
      code = status === 404 ? 'route.not_found' : status === 413 ? 'request.too_large' : status === 400 ? 'request.invalid' : `http.${status}`;
      detail = err.message;
    } else if (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string') {
      const e = err as { code: string; message?: string; retryable?: boolean; details?: { causeCode?: unknown } };
      code = e.code;
      status = STATUS[code] ?? 500;
      // A handler that refused the message with a client-error code (message.unknown_type): answer that, not 500.
      const cause = e.details?.causeCode;
      if (code === 'actor.handler_failed' && typeof cause === 'string' && (STATUS[cause] ?? 500) < 500) {
        code = cause;
        status = STATUS[cause]!;
      }
      detail = e.message ?? code;
      retryable = e.retryable ?? false;
      const after = (err as { details?: { retryAfterS?: unknown } }).details?.retryAfterS;
      if (typeof after === 'number' && after > 0) retryAfterS = after;
    }
    if (status === 429 || status === 503) res.setHeader('Retry-After', String(retryAfterS));
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="godel"');
    res.status(status).type('application/problem+json').send({ type: `urn:godel:${code}`, title: code, status, detail, code, retryable });
  }
}
