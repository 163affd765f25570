import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { GodelConfig } from '@godel/config';
import { RepoRegistry } from '@godel/persistence';
import { AuthGuard } from './auth/auth.guard';
import { AuthModule } from './auth/auth.module';
import { ConfigModule } from './config.module';
import { DashboardController } from './dashboard/dashboard.controller';
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
import { ObservabilityModule } from './observability/observability.module';
import { TeamsController } from './http/teams.controller';
import { RepoAccess } from './http/repo-access';
import { ReposController } from './http/repos.controller';
import { GODEL_CONFIG } from './runtime/runtime.tokens';

@Module({})
export class AppModule {
  static forRoot(config: GodelConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule, RuntimeModule, AuthModule],
      controllers: [HealthController, MetricsController, ActorsController, AgentsController, EventsController, TeamsController, InstancesController, DocsController, DashboardController, ReposController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        // Every route needs @Public() or @Roles(): the guard refuses the rest (fail closed).
        { provide: APP_GUARD, useClass: AuthGuard },
        OpenApiDocument,
        { provide: RepoAccess, inject: [GODEL_CONFIG, RepoRegistry], useFactory: (c: GodelConfig, r: RepoRegistry) => new RepoAccess(c.repoRoots, r) },
      ],
    };
  }
}
