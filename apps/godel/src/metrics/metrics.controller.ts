import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { RuntimeMetrics } from './runtime-metrics';
import { Public } from '../http/access.decorators';

/** Prometheus scrape endpoint (no auth, like /health and /ready). */
@ApiTags('health')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: RuntimeMetrics) {}

  @Get('metrics')
  @Public()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiProduces('text/plain')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
