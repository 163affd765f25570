import { Logger, Module } from '@nestjs/common';
import { HealthAwarePlacement, counterActor } from '@godel/actors';
import type { GodelConfig } from '@godel/config';
import { OtelTurnObserver } from '@godel/observability';
import type { DataSource } from 'typeorm';
import { MetricsModule } from '../metrics/metrics.module';
import { RuntimeMetrics } from '../metrics/runtime-metrics';
import { StoreModule } from '../store/store.module';
import { COUNTER_KIND, DATA_SOURCE, GODEL_CONFIG, RUNTIME } from '../tokens';
import { ActorsController } from './actors.controller';
import { buildRuntime, newInstanceId, type BuiltRuntime } from './build-runtime';
import { HealthController } from './health.controller';
import { InstancesController } from './instances.controller';
import { RuntimeService } from './runtime.service';

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
 * The actor runtime on Redis and PostgreSQL, built without kinds and without federation hooks: the
 * agents and teams modules give their kinds and the federation module its member, which GodelLifecycle
 * registers before it starts (they tell the runtime, so they need it first). It hosts shards only in
 * the `runtime` role; an `api`-only instance still sends messages and asks. Routes: health, actors
 * (the counter, the runtime's reference actor, and dead letters), instances.
 */
@Module({
  imports: [StoreModule, MetricsModule],
  controllers: [HealthController, ActorsController, InstancesController],
  providers: [
    {
      provide: RUNTIME,
      inject: [GODEL_CONFIG, DATA_SOURCE, RuntimeMetrics],
      useFactory: (config: GodelConfig, ds: DataSource, metrics: RuntimeMetrics): BuiltRuntime => {
        const log = new Logger('runtime');
        return buildRuntime({
          redisUrl: config.redisUrl!,
          dataSource: ds,
          keyPrefix: config.keyPrefix,
          runtime: config.runtime,
          definitions: [],
          instanceId: config.instanceId ?? newInstanceId(),
          hostShards: config.roles.includes('runtime'),
          // Issue 12: draining and unhealthy members get no shards (the member's heartbeat says which).
          placement: new HealthAwarePlacement({ maxLagMs: config.runtime.placementMaxLagMs }),
          onCommit: (seconds, rows) => metrics.commit(seconds, rows),
          observer: new OtelTurnObserver((kind, seconds, ok, waited) => metrics.turn(kind, seconds, ok, waited)),
          onEvent: (type, data) => {
            metrics.count(type, data);
            if (LOGGED.has(type)) log.log(JSON.stringify({ event: type, ...data, at: Date.now() }));
          },
        });
      },
    },
    // The counter is the runtime's reference actor (demo, failover tests, benchmark).
    { provide: COUNTER_KIND, useValue: counterActor },
    RuntimeService,
  ],
  exports: [RUNTIME, COUNTER_KIND, RuntimeService],
})
export class RuntimeModule {}
