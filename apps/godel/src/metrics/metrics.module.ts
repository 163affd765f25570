import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { RuntimeMetrics } from './runtime-metrics';

/** One prom-client registry for the process (`RuntimeMetrics`) and its `/metrics` route; GodelLifecycle binds the gauges' sources. */
@Module({
  controllers: [MetricsController],
  providers: [{ provide: RuntimeMetrics, useValue: new RuntimeMetrics() }],
  exports: [RuntimeMetrics],
})
export class MetricsModule {}
