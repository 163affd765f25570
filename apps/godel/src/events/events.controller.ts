import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { GodelError } from '@godel/actors';
import type { GodelConfig } from '@godel/config';
import { GODEL_CONFIG } from '../tokens';
import { EventLog, type StoredEvent } from '@godel/persistence';
import { EventStream, type StreamFilter } from './event-stream';
import { query } from '../http/validate';
import { QueryToken, Roles } from '../http/access.decorators';
import { AuthService } from '../auth/auth.service';
import type { AuthedRequest } from '../http/request-context';

class InvalidEventQuery extends GodelError {
  readonly code = 'request.invalid';
  readonly retryable = false;
}

/** The key already holds GODEL_SSE_MAX_PER_KEY open streams on this instance (HTTP 429). */
class StreamLimitError extends GodelError {
  readonly code = 'stream.limit';
  readonly retryable = true;
}

interface SseResponse {
  writeHead(status: number, headers: Record<string, string>): void;
  write(chunk: string): boolean;
  end(): void;
  on(event: 'drain', fn: () => void): void;
}
interface JsonResponse {
  type(contentType: string): unknown;
}
interface ClosableRequest {
  on(event: 'close', fn: () => void): void;
}

/**
 * One SSE frame per event, built once however many subscribers it goes to (the live reader shares
 * event objects). Named (`event: <type>`) by default; unnamed for `as=message` (a browser's
 * EventSource.onmessage sees only unnamed events).
 */
const named = new WeakMap<StoredEvent, string>();
const unnamed = new WeakMap<StoredEvent, string>();
function frame(e: StoredEvent, withName: boolean): string {
  const cache = withName ? named : unnamed;
  let f = cache.get(e);
  if (f === undefined) cache.set(e, (f = `id: ${e.seq}\n${withName ? `event: ${e.type}\n` : ''}data: ${JSON.stringify(e)}\n\n`));
  return f;
}

function parseQuery(raw: unknown, keys: string[], lastEventId?: string): { filter: StreamFilter; after: number; limit: number; q: Record<string, string | undefined> } {
  const QUERY_KEYS = keys;
  const q: Record<string, unknown> = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(q)) {
    if (!QUERY_KEYS.includes(k)) throw new InvalidEventQuery(`unknown query parameter "${k}" (${QUERY_KEYS.join(', ')})`);
    if (typeof v !== 'string') throw new InvalidEventQuery(`query parameter "${k}" must be given once, as a string`);
  }
  if (lastEventId !== undefined && !/^\d{1,16}$/.test(lastEventId)) throw new InvalidEventQuery('after / Last-Event-ID must be an integer ≥ 0');
  if (q.after !== undefined && !/^\d{1,16}$/.test(q.after as string)) throw new InvalidEventQuery('after / Last-Event-ID must be an integer ≥ 0');
  const after = Number(lastEventId ?? q.after ?? 0);
  const limit = Number(q.limit ?? 200);
  if (!Number.isInteger(after) || after < 0) throw new InvalidEventQuery('after / Last-Event-ID must be an integer ≥ 0');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidEventQuery('limit must be an integer in [1, 1000]');
  for (const k of ['agent', 'team', 'type'] as const) {
    const v = q[k] as string | undefined;
    if (v !== undefined && (v.length === 0 || v.length > 200 || v.includes('\u0000'))) throw new InvalidEventQuery(`${k} must be 1-200 chars, without NUL`);
  }
  return { filter: { agent: q.agent as string | undefined, team: q.team as string | undefined, type: q.type as string | undefined }, after, limit, q: q as Record<string, string | undefined> };
}

const FILTERS = [
  ApiQuery({ name: 'after', required: false, description: 'sequence number to start after', schema: { type: 'integer', minimum: 0, default: 0 } }),
  ApiQuery({ name: 'agent', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 } }),
  ApiQuery({ name: 'team', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 } }),
  ApiQuery({ name: 'type', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 } }),
];

/** The event log: a page at a time, or live over SSE from any sequence (resumes with Last-Event-ID). */
@ApiTags('events')
@Controller('api/v1/events')
export class EventsController {
  constructor(
    private readonly log: EventLog,
    private readonly live: EventStream,
    private readonly auth: AuthService,
    @Inject(GODEL_CONFIG) private readonly config: GodelConfig,
  ) {}

  /** Open streams per API key on this instance. */
  private readonly open = new Map<string, number>();

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'A page of the event log, in sequence order; with latest=true the last `limit` events (where a live view starts)' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } })
  @ApiQuery({ name: 'latest', required: false, schema: { type: 'string', enum: ['true', 'false'] } })
  @(FILTERS[0])
  @(FILTERS[1])
  @(FILTERS[2])
  @(FILTERS[3])
  async list(@Query() q: unknown, @Res({ passthrough: true }) res: JsonResponse): Promise<string> {
    const { filter, after, limit, q: p } = parseQuery(q, ['after', 'limit', 'agent', 'team', 'type', 'latest']);
    if (p.latest !== undefined && p.latest !== 'true' && p.latest !== 'false') throw new InvalidEventQuery('latest must be true or false');
    // `{ items: StoredEvent[] }`, serialized by PostgreSQL and sent as is (EventLog.listJson).
    const body = p.latest === 'true' ? await this.log.latestJson({ ...filter, limit }) : await this.log.listJson({ ...filter, after, limit });
    res.type('application/json');
    return body;
  }

  @Get('head')
  @Roles('viewer')
  @ApiOperation({ summary: 'The highest sequence number in the log (where `godel events tail` starts following)' })
  async head(@Query() q: unknown): Promise<{ seq: number }> {
    query(q, []);
    return { seq: await this.log.lastSeq() };
  }

  @Get('stream')
  @Roles('viewer')
  @QueryToken()
  @ApiOperation({ summary: 'Live events over SSE from any sequence (id: = seq); resumes with Last-Event-ID. The only route that also takes ?access_token= (EventSource cannot send headers); ends within a second when its key is revoked and when its access token expires; at most GODEL_SSE_MAX_PER_KEY streams per key (429 stream.limit)' })
  @ApiQuery({ name: 'as', required: false, description: 'message: unnamed events (EventSource.onmessage)', schema: { type: 'string', enum: ['message'] } })
  @ApiQuery({ name: 'access_token', required: false, description: 'for browsers only', schema: { type: 'string' } })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'last-event-id', required: false, description: 'resume after this sequence (wins over ?after)' })
  @ApiQuery({ name: 'limit', required: false, description: 'accepted for symmetry with the list; ignored', schema: { type: 'integer', minimum: 1, maximum: 1000 } })
  @(FILTERS[0])
  @(FILTERS[1])
  @(FILTERS[2])
  @(FILTERS[3])
  stream(@Query() q: unknown, @Headers('last-event-id') lastEventId: string | undefined, @Req() req: ClosableRequest & AuthedRequest, @Res() res: SseResponse): void {
    const { filter, after, q: p } = parseQuery(q, ['after', 'limit', 'agent', 'team', 'type', 'as', 'access_token'], lastEventId);
    if (p.as !== undefined && p.as !== 'message') throw new InvalidEventQuery('as must be message (or absent)');
    const withName = p.as === undefined;
    const principal = req.principal!;
    const held = this.open.get(principal.keyId) ?? 0;
    if (held >= this.config.sseMaxPerKey) {
      throw new StreamLimitError(`key "${principal.name}" already holds ${held} event streams on this instance (GODEL_SSE_MAX_PER_KEY=${this.config.sseMaxPerKey}): close one first`, { retryAfterS: 5 });
    }
    this.open.set(principal.keyId, held + 1);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': godel event stream\n\n');
    // Back-pressure: when the socket's buffer is full the subscription pauses until 'drain'.
    const sub = this.live.subscribe(filter, after, (events) => res.write(events.map((e) => frame(e, withName)).join('')));
    res.on('drain', () => sub.resume());
    const ping = setInterval(() => res.write(': ping\n\n'), 15000);
    const check = setInterval(() => {
      if (!this.auth.stillValid(principal)) close();
    }, 1000);
    // The stream lives as long as its access token: the client reconnects with a fresh one and Last-Event-ID.
    const expiry = setTimeout(() => close(), Math.max(0, (req.tokenExpiresAt ?? Date.now()) - Date.now()));
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      clearInterval(check);
      clearTimeout(expiry);
      sub.close();
      const n = (this.open.get(principal.keyId) ?? 1) - 1;
      if (n > 0) this.open.set(principal.keyId, n);
      else this.open.delete(principal.keyId);
      res.end();
    };
    req.on('close', close);
  }
}
