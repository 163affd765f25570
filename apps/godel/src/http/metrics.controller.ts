import { Controller, Get, Header } from '@nestjs/common';
import { RuntimeMetrics } from '../metrics/runtime-metrics';
import { Public } from '../auth/access.decorators';

/** Prometheus scrape endpoint (no auth, like /health and /ready). */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: RuntimeMetrics) {}

  @Get('metrics')
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
