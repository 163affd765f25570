import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuthService } from './auth.service';
import type { AuthedRequest, AuthedResponse } from '../http/request-context';

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (`x-request-id` when the caller sent a sane one, else a UUID; echoed on
 * the response) and writes an audit row for every authenticated mutation once its status is known. A failed audit
 * write does not fail the request (it already answered) but is logged as an error.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  private readonly log = new Logger('audit');

  constructor(private readonly auth: AuthService) {}

  use(req: AuthedRequest, res: AuthedResponse, next: () => void): void {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.requestId = id;
    res.setHeader('x-request-id', id);
    if (MUTATIONS.has(req.method)) res.once('close', () => this.record(req, res));
    next();
  }

  private record(req: AuthedRequest, res: AuthedResponse): void {
    // Only authenticated callers leave rows: an anonymous flood (bad tokens, unknown routes) must not
    // grow the table. Refused logins are counted by the per-address limit, not audited.
    if (!req.principal) return;
    const entry = {
      requestId: req.requestId!,
      keyId: req.principal?.keyId ?? null,
      keyName: req.principal?.name ?? null,
      role: req.principal?.role ?? null,
      method: req.method,
      route: req.auditRoute?.route ?? null,
      path: req.originalUrl.split('?')[0],
      target: req.auditRoute?.target ?? null,
      status: res.statusCode,
    };
    this.auth.audit.write(entry).catch((err: unknown) => {
      this.log.error(JSON.stringify({ event: 'audit.write_failed', error: err instanceof Error ? err.message : String(err), entry }));
    });
  }
}
