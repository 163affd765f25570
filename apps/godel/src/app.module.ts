import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { GodelConfig } from '@godel/config';
import { AgentsModule } from './agents/agents.module';
import { AuthGuard } from './auth/auth.guard';
import { AuthModule } from './auth/auth.module';
import { ConfigModule } from './config.module';
import { DashboardController } from './dashboard/dashboard.controller';
import { EventsModule } from './events/events.module';
import { FederationModule } from './federation/federation.module';
import { ActorsController } from './http/actors.controller';
import { DocsController } from './http/docs.controller';
import { HealthController } from './http/health.controller';
import { InstancesController } from './http/instances.controller';
import { MetricsController } from './http/metrics.controller';
import { OpenApiDocument } from './http/openapi';
import { ProblemFilter } from './http/problem.filter';
import { GodelLifecycle } from './lifecycle';
import { ObservabilityModule } from './observability/observability.module';
import { ReposModule } from './repos/repos.module';
import { RuntimeModule } from './runtime/runtime.module';
import { TeamsModule } from './teams/teams.module';

/**
 * Layers: controllers (apps/godel/src/http, registered by their feature module) → services
 * (RuntimeService, AgentsService, TeamsService) → the runtime and stores (RuntimeModule).
 * Feature modules: runtime, agents, teams, events, repos, auth; GodelLifecycle starts and stops them in order.
 */
@Module({})
export class AppModule {
  static forRoot(config: GodelConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule, RuntimeModule, AuthModule, AgentsModule, TeamsModule, EventsModule, ReposModule, FederationModule],
      controllers: [HealthController, MetricsController, ActorsController, InstancesController, DocsController, DashboardController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        // Every route needs @Public() or @Roles(): the guard refuses the rest (fail closed).
        { provide: APP_GUARD, useClass: AuthGuard },
        OpenApiDocument,
        GodelLifecycle,
      ],
    };
  }
}
