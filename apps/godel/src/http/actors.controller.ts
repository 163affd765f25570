import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { GodelError, UnknownActorKindError, formatActorId, actorId, type RuntimeStats } from '@godel/actors';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { RUNTIME } from '../runtime/runtime.tokens';
import { Roles } from '../auth/access.decorators';
import type { AuthedRequest } from '../auth/request-context';
import { agentView } from './agent-view';

class InvalidRequestError extends GodelError {
  readonly code = 'request.invalid';
  readonly retryable = false;
}

/** A message type the generic route does not carry to that kind of actor (HTTP 403). */
class MessageNotAllowedError extends GodelError {
  readonly code = 'message.not_allowed';
  readonly retryable = false;
}

/**
 * The messages a client may send each actor kind through the generic route. Everything else is
 * internal: `agent.start` (providers, runtime, forkOf are the server's to set; POST /api/v1/agents
 * starts agents), `agent.turn_end`/`agent.exited` (the process host), `team.start` (POST
 * /api/v1/intents), `team.agent_update` (agents) and `team.merge_result` (the refinery).
 */
export const EXTERNAL_MESSAGES: Readonly<Record<string, readonly string[]>> = {
  counter: ['inc', 'probe', 'get', 'boom'],
  agent: ['get', 'agent.prompt', 'agent.steer', 'agent.abort', 'agent.stop', 'agent.restart'],
  team: ['get', 'team.cancel'],
};

/** The sender identity of messages from the generic route (`envelope.from`), set here, never by the client. */
export function externalSender(keyId: string): string {
  return `api:${keyId}`;
}

function withoutKeys(reply: unknown): unknown {
  return typeof reply === 'object' && reply !== null && !Array.isArray(reply) ? agentView(reply as Record<string, unknown>) : reply;
}

interface SendBody {
  type: string;
  payload?: unknown;
  /** Wait for the reply (after the actor's state committed). */
  ask?: boolean;
  timeoutMs?: number;
  /** Client message id (tells): sending again with the same id within the resend window appends nothing. */
  id?: string;
}

function validateSend(body: unknown): SendBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError('body must be a JSON object');
  const b = body as Record<string, unknown>;
  const allowed = new Set(['type', 'payload', 'ask', 'timeoutMs', 'id']);
  for (const k of Object.keys(b)) if (!allowed.has(k)) throw new InvalidRequestError(`unknown field "${k}"`);
  if (typeof b.type !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(b.type)) throw new InvalidRequestError('type: 1-64 chars of [A-Za-z0-9._:-]');
  if (b.ask !== undefined && typeof b.ask !== 'boolean') throw new InvalidRequestError('ask must be a boolean');
  if (b.id !== undefined && (typeof b.id !== 'string' || !/^[A-Za-z0-9._:-]{8,128}$/.test(b.id))) throw new InvalidRequestError('id: 8-128 chars of [A-Za-z0-9._:-]');
  if (b.id !== undefined && b.ask === true) throw new InvalidRequestError('id is for tells (an ask is answered to the request that sent it)');
  if (b.timeoutMs !== undefined && (!Number.isInteger(b.timeoutMs) || (b.timeoutMs as number) < 1 || (b.timeoutMs as number) > 60000)) {
    throw new InvalidRequestError('timeoutMs must be an integer in [1, 60000]');
  }
  return b as unknown as SendBody;
}

const SEND_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' },
    payload: { description: 'any JSON value (bounded by GODEL_MAX_MESSAGE_BYTES)' },
    ask: { type: 'boolean', description: 'wait for the reply (after the state committed)' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 60000 },
    id: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,128}$', description: 'client message id of a tell: a retry with the same id (after a 503 or a lost response) is appended once' },
  },
};

@ApiTags('runtime')
@Controller('api/v1')
export class ActorsController {
  constructor(@Inject(RUNTIME) private readonly runtime: BuiltRuntime) {}

  @Get('runtime')
  @Roles('viewer')
  @ApiOperation({ summary: "This instance's runtime statistics (owned shards, activations, in flight)" })
  stats(): RuntimeStats {
    return this.runtime.system.stats();
  }

  @Post('actors/:kind/:key/messages')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send (tell) or ask a message to an actor (admin; only the external message types of its kind)' })
  @ApiParam({ name: 'kind', description: 'actor kind, e.g. counter' })
  @ApiParam({ name: 'key', description: 'actor key' })
  @ApiBody({ schema: SEND_SCHEMA })
  async send(@Param('kind') kind: string, @Param('key') key: string, @Body() body: unknown, @Req() req: AuthedRequest): Promise<{ accepted: true; reply?: unknown }> {
    const b = validateSend(body);
    const to = formatActorId(actorId(kind, key));
    // A kind clients cannot reach is, for this route, a kind that does not exist (404).
    if (!Object.hasOwn(EXTERNAL_MESSAGES, kind)) throw new UnknownActorKindError(kind, Object.keys(EXTERNAL_MESSAGES));
    const allowed = EXTERNAL_MESSAGES[kind];
    if (!allowed.includes(b.type)) {
      throw new MessageNotAllowedError(`${kind} actors take ${allowed.join(', ')} from clients, not "${b.type}" (internal messages come from the runtime)`, { kind, type: b.type });
    }
    const extra = { from: externalSender(req.principal!.keyId), ...(b.id ? { id: `c:${b.id}` } : {}) };
    // Replies are states too (agent and team `get`): served without provider keys, like every projection.
    if (b.ask) return { accepted: true, reply: withoutKeys(await this.runtime.system.ask(to, b.type, b.payload ?? null, b.timeoutMs ?? 5000, extra)) };
    await this.runtime.system.tell(to, b.type, b.payload ?? null, extra);
    return { accepted: true };
  }

  @Get('actors/:kind/:key')
  @Roles('viewer')
  @ApiOperation({ summary: "An actor's address and mailbox depth" })
  async get(@Param('kind') kind: string, @Param('key') key: string): Promise<{ address: string; depth: number }> {
    const to = formatActorId(actorId(kind, key));
    return { address: to, depth: await this.runtime.system.depth(to) };
  }

  @Get('dead-letters')
  @Roles('admin')
  @ApiOperation({ summary: 'Dead letters across shards, newest first (admin: they hold whole envelopes)' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } })
  async deadLetters(@Query('limit') limitRaw?: string): Promise<{ items: unknown[] }> {
    const limit = limitRaw === undefined ? 50 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidRequestError('limit must be an integer in [1, 1000]');
    const shards = this.runtime.system.shardCount;
    const lists = await Promise.all(Array.from({ length: shards }, (_, s) => this.runtime.mailbox.listDeadLetters(s, limit)));
    const items = lists.flat().sort((a, b) => b.at - a.at).slice(0, limit);
    return { items };
  }
}
