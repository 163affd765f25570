import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RuntimeService, type InstancesView } from './runtime.service';
import { Roles } from '../http/access.decorators';

export type { InstanceView, InstancesView } from './runtime.service';

/** The live members of the cluster and the shards each one holds, read from Redis (any instance answers the same). */
@ApiTags('runtime')
@Controller('api/v1')
export class InstancesController {
  constructor(private readonly runtime: RuntimeService) {}

  @Roles('viewer')
  @Get('instances')
  @ApiOperation({ summary: 'Live cluster members with the shards each owns (leases)' })
  list(): Promise<InstancesView> {
    return this.runtime.instances();
  }
}
