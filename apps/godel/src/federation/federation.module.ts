import { Module } from '@nestjs/common';
import { AgentProcessHost } from '@godel/agents';
import type { GodelConfig } from '@godel/config';
import { AgentQueries, EventLog } from '@godel/persistence';
import type { DataSource } from 'typeorm';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { AgentsModule } from '../agents/agents.module';
import { RuntimeModule } from '../runtime/runtime.module';
import { StoreModule } from '../store/store.module';
import { DATA_SOURCE, GODEL_CONFIG, RUNTIME } from '../tokens';
import { AgentDiffs } from './agent-diff';
import { FederationController } from './federation.controller';
import { FederationService } from './federation.service';
import { InstanceRpc } from './instance-rpc';
import { LocalMember } from './local-member';
import { RemoteInstancesService } from './remote-instances.service';

/** What a caller of a gone or moving instance waits: about two leases (its shards have moved by then). */
const retryAfterS = (c: GodelConfig) => Math.max(1, Math.ceil((2 * c.runtime.leaseTtlMs) / 1000));

/**
 * Federation: placement by capacity and health, drain / undrain / rebalance, instance RPC (Redis
 * transport) and the operator routes. `LocalMember` is the runtime's lease-round hooks; GodelLifecycle
 * registers it on the runtime and starts it before the runtime starts.
 */
@Module({
  imports: [RuntimeModule, StoreModule, AgentsModule],
  controllers: [FederationController],
  providers: [
    {
      provide: InstanceRpc,
      inject: [GODEL_CONFIG, RUNTIME],
      useFactory: (config: GodelConfig, rt: BuiltRuntime) => new InstanceRpc({ redisUrl: config.redisUrl!, prefix: config.keyPrefix, self: rt.system.instanceId, retryAfterS: retryAfterS(config) }),
    },
    {
      provide: AgentDiffs,
      inject: [GODEL_CONFIG, RUNTIME, InstanceRpc, AgentQueries],
      useFactory: (config: GodelConfig, rt: BuiltRuntime, rpc: InstanceRpc, queries: AgentQueries) => new AgentDiffs({ rt, rpc, queries, retryAfterS: retryAfterS(config) }),
    },
    {
      provide: FederationService,
      inject: [RUNTIME, EventLog, DATA_SOURCE, GODEL_CONFIG],
      useFactory: (rt: BuiltRuntime, events: EventLog, ds: DataSource, config: GodelConfig) => new FederationService({ rt, events, ds, policy: { maxLagMs: config.runtime.placementMaxLagMs } }),
    },
    {
      provide: RemoteInstancesService,
      inject: [FederationService, InstanceRpc, AgentDiffs],
      useFactory: (federation: FederationService, rpc: InstanceRpc, diffs: AgentDiffs) => new RemoteInstancesService({ federation, rpc, diffs }),
    },
    {
      provide: LocalMember,
      inject: [RUNTIME, GODEL_CONFIG, AgentProcessHost, EventLog, DATA_SOURCE, InstanceRpc],
      useFactory: (rt: BuiltRuntime, config: GodelConfig, host: AgentProcessHost, events: EventLog, ds: DataSource, rpc: InstanceRpc) =>
        new LocalMember({ rt, config, host, events, ds, rpc }),
    },
  ],
  exports: [FederationService, LocalMember],
})
export class FederationModule {}
