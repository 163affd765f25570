import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RuntimeService } from './runtime.service';
import { Public } from '../http/access.decorators';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(private readonly runtime: RuntimeService) {}

  /** Liveness: the process answers. */
  @Get('health')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  health(): { status: 'ok'; instance: string } {
    return { status: 'ok', instance: this.runtime.instanceId };
  }

  /** Readiness: Redis and PostgreSQL answer. */
  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'Readiness: Redis and PostgreSQL answer (503 otherwise)' })
  @HttpCode(200)
  async ready(): Promise<{ status: 'ready'; redis: 'ok'; postgres: 'ok' }> {
    const { redis, postgres } = await this.runtime.readiness();
    if (!redis || !postgres) throw new ServiceUnavailableException({ redis: redis ? 'ok' : 'down', postgres: postgres ? 'ok' : 'down' });
    return { status: 'ready', redis: 'ok', postgres: 'ok' };
  }
}
