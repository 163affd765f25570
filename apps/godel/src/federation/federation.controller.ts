import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Roles } from '../http/access.decorators';
import type { AuthedRequest } from '../http/request-context';
import { Type } from '@sinclair/typebox';
import { parseBody } from '../http/schema';
import { InvalidRequest, NAME } from '../http/validate';
import { FederationService, type FederationView } from './federation.service';
import { RemoteInstancesService } from './remote-instances.service';
import type { WorktreeDiff } from './worktree-diff';

/** Drain, undrain and rebalance take no fields. */
const NO_BODY = Type.Object({}, { additionalProperties: false });

const INSTANCE = /^[A-Za-z0-9._:@-]{1,100}$/;
const NAME_SCHEMA = { type: 'string', pattern: NAME.source };
const INSTANCE_SCHEMA = { type: 'string', pattern: INSTANCE.source };

/** The commands take no body: anything sent is refused (422), like every route's unknown fields. */
function noBody(body: unknown): void {
  parseBody(NO_BODY, body, true);
}

function instanceId(id: string): string {
  if (!INSTANCE.test(id)) throw new InvalidRequest('instance id must match [A-Za-z0-9._:@-]{1,100}');
  return id;
}

/**
 * The operator's view of the federation and its commands, and the routes whose answer lives on
 * another instance's disk or process (reached over instance RPC after this instance authorized the caller).
 */
@ApiTags('federation')
@Controller('api/v1')
export class FederationController {
  constructor(
    private readonly federation: FederationService,
    private readonly remote: RemoteInstancesService,
  ) {}

  @Roles('viewer')
  @Get('federation')
  @ApiOperation({ summary: 'Members with capacity, load, health, draining, shards and teams' })
  view(): Promise<FederationView> {
    return this.federation.view();
  }

  @Roles('admin')
  @Post('federation/instances/:id/drain')
  @HttpCode(200)
  @ApiOperation({ summary: 'Drain an instance: no new work; its shards and teams move as they go idle (turns in flight finish)' })
  @ApiParam({ name: 'id', schema: INSTANCE_SCHEMA })
  drain(@Param('id') id: string, @Req() req: AuthedRequest, @Body() body: unknown): Promise<Record<string, unknown>> {
    noBody(body);
    return this.federation.drain(instanceId(id), req.principal?.name ?? 'unknown');
  }

  @Roles('admin')
  @Post('federation/instances/:id/undrain')
  @HttpCode(200)
  @ApiOperation({ summary: 'Undrain an instance: it takes work again (idle shards it wins come back)' })
  @ApiParam({ name: 'id', schema: INSTANCE_SCHEMA })
  undrain(@Param('id') id: string, @Req() req: AuthedRequest, @Body() body: unknown): Promise<Record<string, unknown>> {
    noBody(body);
    return this.federation.undrain(instanceId(id), req.principal?.name ?? 'unknown');
  }

  @Roles('admin')
  @Post('federation/rebalance')
  @HttpCode(200)
  @ApiOperation({ summary: 'The shard moves placement wants now; idle shards move at once, busy ones when idle' })
  rebalance(@Req() req: AuthedRequest, @Body() body: unknown): Promise<Record<string, unknown>> {
    noBody(body);
    return this.federation.rebalance(req.principal?.name ?? 'unknown');
  }

  @Roles('admin')
  @Get('federation/instances/:id/stats')
  @ApiOperation({ summary: "An instance's process stats (memory, CPU, event-loop lag, agents, shards), asked over instance RPC" })
  @ApiParam({ name: 'id', schema: INSTANCE_SCHEMA })
  stats(@Param('id') id: string): Promise<Record<string, unknown>> {
    return this.remote.stats(instanceId(id));
  }

  @Roles('viewer')
  @Get('agents/:team/:name/diff')
  @ApiOperation({ summary: "The live diff and file list of an agent's worktree, from the instance that hosts it" })
  @ApiParam({ name: 'team', schema: NAME_SCHEMA })
  @ApiParam({ name: 'name', schema: NAME_SCHEMA })
  diff(@Param('team') team: string, @Param('name') name: string): Promise<WorktreeDiff> {
    if (!NAME.test(team) || !NAME.test(name)) throw new InvalidRequest('team and name must match [a-z0-9][a-z0-9._-]{0,63}');
    return this.remote.diff(team, name);
  }
}
