import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { DATA_SOURCE, RUNTIME } from '../runtime/runtime.tokens';
import { Public } from '../auth/access.decorators';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(RUNTIME) private readonly runtime: BuiltRuntime,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
  ) {}

  /** Liveness: the process answers. */
  @Get('health')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  health(): { status: 'ok'; instance: string } {
    return { status: 'ok', instance: this.runtime.system.instanceId };
  }

  /** Readiness: Redis and PostgreSQL answer. */
  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'Readiness: Redis and PostgreSQL answer (503 otherwise)' })
  @HttpCode(200)
  async ready(): Promise<{ status: 'ready'; redis: 'ok'; postgres: 'ok' }> {
    const timeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 1000).unref())]);
    const [redis, pg] = await Promise.allSettled([timeout(this.runtime.redis.ping()), timeout(this.ds.query('SELECT 1'))]);
    if (redis.status !== 'fulfilled' || pg.status !== 'fulfilled') {
      throw new ServiceUnavailableException({ redis: redis.status === 'fulfilled' ? 'ok' : 'down', postgres: pg.status === 'fulfilled' ? 'ok' : 'down' });
    }
    return { status: 'ready', redis: 'ok', postgres: 'ok' };
  }
}
