import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Static } from '@sinclair/typebox';
import { GodelError, UnknownActorKindError, formatActorId, actorId, type RuntimeStats } from '@godel/actors';
import { InvalidRequest } from '../errors';
import { RuntimeService } from './runtime.service';
import { Roles } from '../http/access.decorators';
import type { AuthedRequest } from '../http/request-context';
import { agentView } from '../http/agent-view';
import { DeadLettersQuerySchema, SendSchema } from '../http/request-schemas';
import { BodySchema, QuerySchema, parseBody, parseQuery } from '../http/schema';

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

/** The checks the schema cannot express. */
function validateSend(body: unknown): Static<typeof SendSchema> {
  const b = parseBody(SendSchema, body);
  if (b.id !== undefined && b.ask === true) throw new InvalidRequest('id is for tells (an ask is answered to the request that sent it)');
  return b;
}

@ApiTags('runtime')
@Controller('api/v1')
export class ActorsController {
  constructor(private readonly runtime: RuntimeService) {}

  @Get('runtime')
  @Roles('viewer')
  @ApiOperation({ summary: "This instance's runtime statistics (owned shards, activations, in flight)" })
  stats(): RuntimeStats {
    return this.runtime.stats();
  }

  @Post('actors/:kind/:key/messages')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send (tell) or ask a message to an actor (admin; only the external message types of its kind)' })
  @ApiParam({ name: 'kind', description: 'actor kind, e.g. counter' })
  @ApiParam({ name: 'key', description: 'actor key' })
  @BodySchema(SendSchema)
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
    if (b.ask) return { accepted: true, reply: withoutKeys(await this.runtime.ask(to, b.type, b.payload ?? null, b.timeoutMs ?? 5000, extra)) };
    await this.runtime.tell(to, b.type, b.payload ?? null, extra);
    return { accepted: true };
  }

  @Get('actors/:kind/:key')
  @Roles('viewer')
  @ApiOperation({ summary: "An actor's address and mailbox depth" })
  async get(@Param('kind') kind: string, @Param('key') key: string): Promise<{ address: string; depth: number }> {
    const to = formatActorId(actorId(kind, key));
    return { address: to, depth: await this.runtime.depth(to) };
  }

  @Get('dead-letters')
  @Roles('admin')
  @ApiOperation({ summary: 'Dead letters across shards, newest first (admin: they hold whole envelopes)' })
  @QuerySchema(DeadLettersQuerySchema)
  async deadLetters(@Query() q: unknown): Promise<{ items: unknown[] }> {
    const { limit } = parseQuery(DeadLettersQuerySchema, q);
    return { items: await this.runtime.deadLetters(limit!) };
  }
}
