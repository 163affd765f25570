import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { GodelError } from '@godel/actors';
import { EventLog, type StoredEvent } from '@godel/persistence';
import { EventStream, type StreamFilter } from '../events/event-stream';
import { QueryToken, Roles } from '../auth/access.decorators';
import { AuthService } from '../auth/auth.service';
import type { AuthedRequest } from '../auth/request-context';

class InvalidEventQuery extends GodelError {
  readonly code = 'request.invalid';
  readonly retryable = false;
}

interface SseResponse {
  writeHead(status: number, headers: Record<string, string>): void;
  write(chunk: string): boolean;
  end(): void;
}
interface ClosableRequest {
  on(event: 'close', fn: () => void): void;
}

function parseQuery(q: Record<string, string | undefined>, lastEventId?: string): { filter: StreamFilter; after: number; limit: number } {
  const after = Number(lastEventId ?? q.after ?? 0);
  const limit = Number(q.limit ?? 200);
  if (!Number.isInteger(after) || after < 0) throw new InvalidEventQuery('after / Last-Event-ID must be an integer ≥ 0');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidEventQuery('limit must be an integer in [1, 1000]');
  for (const k of ['agent', 'team', 'type'] as const) {
    const v = q[k];
    if (v !== undefined && (v.length === 0 || v.length > 200)) throw new InvalidEventQuery(`${k} must be 1-200 chars`);
  }
  return { filter: { agent: q.agent, team: q.team, type: q.type }, after, limit };
}

/** The event log: a page at a time, or live over SSE from any sequence (resumes with Last-Event-ID). */
@Controller('api/v1/events')
export class EventsController {
  constructor(
    private readonly log: EventLog,
    private readonly live: EventStream,
    private readonly auth: AuthService,
  ) {}

  /** A page after `after`; or, with `latest=true`, the last `limit` events (where a live view starts). */
  @Get()
  @Roles('viewer')
  async list(@Query() q: Record<string, string | undefined>): Promise<{ items: StoredEvent[] }> {
    const { filter, after, limit } = parseQuery(q);
    if (q.latest !== undefined && q.latest !== 'true' && q.latest !== 'false') throw new InvalidEventQuery('latest must be true or false');
    if (q.latest === 'true') return { items: await this.log.latest({ ...filter, limit }) };
    return { items: await this.log.list({ ...filter, after, limit }) };
  }

  /**
   * SSE. Each event carries `event: <type>`; `as=message` sends them unnamed so a browser's
   * EventSource.onmessage sees every type. The only route that takes `?access_token=` (EventSource
   * cannot send an Authorization header). A stream whose key is revoked meanwhile ends within a second.
   */
  @Get('stream')
  @Roles('viewer')
  @QueryToken()
  stream(@Query() q: Record<string, string | undefined>, @Headers('last-event-id') lastEventId: string | undefined, @Req() req: ClosableRequest & AuthedRequest, @Res() res: SseResponse): void {
    const { filter, after } = parseQuery(q, lastEventId);
    if (q.as !== undefined && q.as !== 'message') throw new InvalidEventQuery('as must be message (or absent)');
    const named = q.as === undefined;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': godel event stream\n\n');
    const unsubscribe = this.live.subscribe(filter, after, (events) => {
      res.write(events.map((e) => `id: ${e.seq}\n${named ? `event: ${e.type}\n` : ''}data: ${JSON.stringify(e)}\n\n`).join(''));
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15000);
    const principal = req.principal;
    const check = setInterval(() => {
      if (principal && !this.auth.stillValid(principal)) close();
    }, 1000);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      clearInterval(check);
      unsubscribe();
      res.end();
    };
    req.on('close', close);
  }
}
