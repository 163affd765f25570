import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { GodelError } from '@godel/actors';
import { EventLog, type StoredEvent } from '@godel/persistence';
import { EventStream, type StreamFilter } from '../events/event-stream';
import { query } from './validate';
import { Roles } from '../auth/access.decorators';

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

/** One SSE frame per event, built once however many subscribers it goes to (the live reader shares event objects). */
const frames = new WeakMap<StoredEvent, string>();
function frame(e: StoredEvent): string {
  let f = frames.get(e);
  if (f === undefined) frames.set(e, (f = `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
  return f;
}

const QUERY_KEYS = ['after', 'limit', 'agent', 'team', 'type'];

function parseQuery(raw: unknown, lastEventId?: string): { filter: StreamFilter; after: number; limit: number } {
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
  return { filter: { agent: q.agent as string | undefined, team: q.team as string | undefined, type: q.type as string | undefined }, after, limit };
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
  ) {}

  @Get()
  @Roles('viewer')
  @ApiOperation({ summary: 'A page of the event log, in sequence order' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } })
  @(FILTERS[0])
  @(FILTERS[1])
  @(FILTERS[2])
  @(FILTERS[3])
  async list(@Query() q: unknown): Promise<{ items: StoredEvent[] }> {
    const { filter, after, limit } = parseQuery(q);
    return { items: await this.log.list({ ...filter, after, limit }) };
  }

  @Get('head')
  @ApiOperation({ summary: 'The highest sequence number in the log (where `godel events tail` starts following)' })
  async head(@Query() q: unknown): Promise<{ seq: number }> {
    query(q, []);
    return { seq: await this.log.lastSeq() };
  }

  @Get('stream')
  @Roles('viewer')
  @ApiOperation({ summary: 'Live events over SSE from any sequence (id: = seq); resumes with Last-Event-ID' })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'last-event-id', required: false, description: 'resume after this sequence (wins over ?after)' })
  @ApiQuery({ name: 'limit', required: false, description: 'accepted for symmetry with the list; ignored', schema: { type: 'integer', minimum: 1, maximum: 1000 } })
  @(FILTERS[0])
  @(FILTERS[1])
  @(FILTERS[2])
  @(FILTERS[3])
  stream(@Query() q: unknown, @Headers('last-event-id') lastEventId: string | undefined, @Req() req: ClosableRequest, @Res() res: SseResponse): void {
    const { filter, after } = parseQuery(q, lastEventId);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': godel event stream\n\n');
    const unsubscribe = this.live.subscribe(filter, after, (events) => {
      res.write(events.map(frame).join(''));
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15000);
    req.on('close', () => {
      clearInterval(ping);
      unsubscribe();
      res.end();
    });
  }
}
