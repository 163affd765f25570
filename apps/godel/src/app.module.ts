import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { GodelConfig } from '@godel/config';
import { ConfigModule } from './config.module';
import { ActorsController } from './http/actors.controller';
import { AgentsController } from './http/agents.controller';
import { EventsController } from './http/events.controller';
import { MetricsController } from './http/metrics.controller';
import { HealthController } from './http/health.controller';
import { DocsController } from './http/docs.controller';
import { InstancesController } from './http/instances.controller';
import { OpenApiDocument } from './http/openapi';
import { ProblemFilter } from './http/problem.filter';
import { RuntimeModule } from './runtime/runtime.module';

@Module({})
export class AppModule {
  static forRoot(config: GodelConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), RuntimeModule],
      controllers: [HealthController, MetricsController, ActorsController, AgentsController, EventsController, InstancesController, DocsController],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }, OpenApiDocument],
    };
  }
}
