import { Logger, Module } from '@nestjs/common';
import { HealthAwarePlacement, counterActor } from '@godel/actors';
import { FederationBridge } from '../federation/federation-bridge';
import type { GodelConfig } from '@godel/config';
import { AgentQueries, EventLog, RepoRegistry, SessionStore, openDatabase } from '@godel/persistence';
import { OtelTurnObserver } from '@godel/observability';
import { Sandbox } from '@godel/sandbox';
import type { DataSource } from 'typeorm';
import { ModelProviders } from '../agents/model-providers';
import { MeteredEventLog } from '../metrics/metered-event-log';
import { RuntimeMetrics } from '../metrics/runtime-metrics';
import { buildRuntime, newInstanceId, type BuiltRuntime } from './build-runtime';
import { Retention } from './retention';
import { RuntimeService } from './runtime.service';
import { COUNTER_KIND, DATA_SOURCE, GODEL_CONFIG, RUNTIME, SANDBOX } from './runtime.tokens';

/** Events worth a log line; the rest are counted by metrics and kept quiet. */
const LOGGED = new Set([
  'shard.acquired',
  'shard.released',
  'shard.lost',
  'shard.fence_failed',
  'shard.takeover_failed',
  'message.dead_lettered',
  'actor.activation_failed',
  'actor.effects_failed',
  'runtime.lease_round_failed',
  'runtime.read_failed',
]);

/**
 * The bottom layer: the actor runtime (built without kinds; the agents and teams modules give theirs
 * and GodelLifecycle registers them before it starts), PostgreSQL and its stores, the sandbox, the
 * model providers and metrics. The runtime hosts shards only in the `runtime` role; an `api`-only
 * instance still sends messages and asks.
 */
@Module({
  providers: [
    {
      provide: DATA_SOURCE,
      inject: [GODEL_CONFIG],
      useFactory: (config: GodelConfig) => openDatabase({ url: config.databaseUrl!, schema: config.dbSchema, synchronousCommit: config.dbSynchronousCommit }),
    },
    { provide: RuntimeMetrics, useValue: new RuntimeMetrics() },
    { provide: EventLog, inject: [DATA_SOURCE, RuntimeMetrics], useFactory: (ds: DataSource, metrics: RuntimeMetrics) => new MeteredEventLog(ds, metrics) },
    { provide: AgentQueries, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new AgentQueries(ds) },
    { provide: RepoRegistry, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new RepoRegistry(ds) },
    { provide: SessionStore, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new SessionStore(ds) },
    { provide: Retention, inject: [DATA_SOURCE, EventLog, GODEL_CONFIG], useFactory: (ds: DataSource, events: EventLog, config: GodelConfig) => new Retention(ds, events, config.retention) },
    { provide: ModelProviders, inject: [GODEL_CONFIG], useFactory: (config: GodelConfig) => ModelProviders.resolve(config) },
    {
      // The OS sandbox of every agent process, verification and maintenance check (GODEL_SANDBOX).
      provide: SANDBOX,
      inject: [GODEL_CONFIG],
      useFactory: (config: GodelConfig) => {
        const log = new Logger('sandbox');
        return new Sandbox({ mode: config.sandbox, onWarn: (message) => log.warn(JSON.stringify({ event: 'sandbox.off', message })) });
      },
    },
    {
      provide: RUNTIME,
      inject: [GODEL_CONFIG, DATA_SOURCE, RuntimeMetrics, FederationBridge],
      useFactory: (config: GodelConfig, ds: DataSource, metrics: RuntimeMetrics, federation: FederationBridge): BuiltRuntime => {
        const log = new Logger('runtime');
        return buildRuntime({
          redisUrl: config.redisUrl!,
          dataSource: ds,
          keyPrefix: config.keyPrefix,
          runtime: config.runtime,
          definitions: [],
          instanceId: config.instanceId ?? newInstanceId(),
          hostShards: config.roles.includes('runtime'),
          // Issue 12: draining and unhealthy members get no shards; the federation module fills the hooks in.
          placement: new HealthAwarePlacement({ maxLagMs: config.runtime.placementMaxLagMs }),
          federation,
          observer: new OtelTurnObserver((kind, seconds, ok) => metrics.turn(kind, seconds, ok)),
          onEvent: (type, data) => {
            metrics.count(type, data);
            if (LOGGED.has(type)) log.log(JSON.stringify({ event: type, ...data, at: Date.now() }));
          },
        });
      },
    },
    { provide: FederationBridge, useValue: new FederationBridge() },
    // The counter is the runtime's reference actor (demo, failover tests, benchmark).
    { provide: COUNTER_KIND, useValue: counterActor },
    RuntimeService,
  ],
  exports: [FederationBridge, RUNTIME, DATA_SOURCE, SANDBOX, COUNTER_KIND, RuntimeMetrics, EventLog, AgentQueries, RepoRegistry, SessionStore, Retention, ModelProviders, RuntimeService],
})
export class RuntimeModule {}
