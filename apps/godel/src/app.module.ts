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
import { DocsController } from './http/docs.controller';
import { OpenApiDocument } from './http/openapi';
import { ProblemFilter } from './http/problem.filter';
import { GodelLifecycle } from './lifecycle';
import { MetricsModule } from './metrics/metrics.module';
import { ObservabilityModule } from './observability/observability.module';
import { ReposModule } from './repos/repos.module';
import { RuntimeModule } from './runtime/runtime.module';
import { SandboxModule } from './sandbox/sandbox.module';
import { StoreModule } from './store/store.module';
import { TeamsModule } from './teams/teams.module';

/**
 * Layers: each feature folder holds its module, its controller and its service; controllers →
 * services → the runtime (RuntimeModule) and the stores (StoreModule); http/ holds only what every
 * route shares (request schemas, validation, the problem filter, the OpenAPI document).
 * Modules, bottom up: metrics, store, sandbox, runtime, auth, repos, agents, federation, teams,
 * events. No provider is filled in late: the actor kinds and the federation member, which tell the
 * runtime, are registered on it by GodelLifecycle, which starts and stops every part in one order.
 */
@Module({})
export class AppModule {
  static forRoot(config: GodelConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        MetricsModule,
        StoreModule,
        SandboxModule,
        RuntimeModule,
        AuthModule,
        AgentsModule,
        TeamsModule,
        EventsModule,
        ReposModule,
        FederationModule,
      ],
      controllers: [DocsController, DashboardController],
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
