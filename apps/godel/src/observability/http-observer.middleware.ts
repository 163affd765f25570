import { Injectable, type NestMiddleware } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { contextFrom, ROOT_CONTEXT, runInContext, SpanKind, SpanStatusCode, startSpan, withLogContext } from '@godel/observability';
import { RuntimeMetrics } from '../metrics/runtime-metrics';

const ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface Req {
  method: string;
  originalUrl: string;
  baseUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  route?: { path?: unknown };
}

interface Res {
  statusCode: number;
  setHeader(name: string, value: string): void;
  once(event: 'close', fn: () => void): void;
}

function header(req: Req, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * First middleware of every request: gives it a request id (a sane `x-request-id` from the caller,
 * else a UUID; the auth middleware reuses it) and a correlation id (`x-correlation-id`, else the
 * request id), runs the rest of the request inside a SERVER span (child of an incoming
 * `traceparent`) and that log context, and records `godel_http_request_duration_seconds` by route
 * template (not the raw path: bounded label values).
 */
@Injectable()
export class HttpObserverMiddleware implements NestMiddleware {
  constructor(private readonly metrics: RuntimeMetrics) {}

  use(req: Req, res: Res, next: () => void): void {
    const t0 = performance.now();
    const given = header(req, 'x-request-id');
    const requestId = given && ID.test(given) ? given : randomUUID();
    req.headers['x-request-id'] = requestId;
    const corr = header(req, 'x-correlation-id');
    const correlationId = corr && ID.test(corr) ? corr : requestId;
    const traceparent = header(req, 'traceparent');
    const parent = traceparent ? runInContext(ROOT_CONTEXT, () => contextFrom({ traceparent, tracestate: header(req, 'tracestate') })) : ROOT_CONTEXT;
    const path = req.originalUrl.split('?')[0];
    const { span, ctx } = startSpan(`${req.method} ${path}`, {
      kind: SpanKind.SERVER,
      parent,
      attributes: { 'http.request.method': req.method, 'url.path': path, 'godel.request_id': requestId, 'godel.correlation_id': correlationId },
    });
    res.once('close', () => {
      const route = typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : 'unmatched';
      const status = res.statusCode;
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      this.metrics.http.observe({ method: req.method, route, status: String(status) }, (performance.now() - t0) / 1000);
    });
    withLogContext({ requestId, correlationId }, () => runInContext(ctx, next));
  }
}
