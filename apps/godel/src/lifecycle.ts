import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ActorDefinition } from '@godel/actors';
import { AgentProcessHost, WorktreeJanitor } from '@godel/agents';
import type { GodelConfig } from '@godel/config';
import { MaintenanceWatcher, Refinery } from '@godel/orchestration';
import { AgentQueries, EventLog } from '@godel/persistence';
import { SANDBOX_OFF_WARNING } from '@godel/sandbox';
import type { DataSource } from 'typeorm';
import { ModelProviders } from './agents/model-providers';
import { EventStream } from './events/event-stream';
import { LocalMember } from './federation/local-member';
import { RuntimeMetrics } from './metrics/runtime-metrics';
import type { BuiltRuntime } from './runtime/build-runtime';
import { Retention } from './store/retention';
import { AGENT_KIND, COUNTER_KIND, DATA_SOURCE, GODEL_CONFIG, RUNTIME, TEAM_KIND } from './tokens';

/**
 * Starts and stops the server's parts in one explicit order. The runtime is built without actor
 * kinds and without federation hooks (the agent host, the refinery and the federation member tell it
 * things, so they need it first); the kinds and the member are registered here before it starts. Shutdown is graceful: the turn in flight finishes, leases are
 * released, another instance takes over without redelivery.
 */
@Injectable()
export class GodelLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(GODEL_CONFIG) private readonly config: GodelConfig,
    @Inject(RUNTIME) private readonly runtime: BuiltRuntime,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(COUNTER_KIND) private readonly counterKind: ActorDefinition,
    @Inject(AGENT_KIND) private readonly agentKind: ActorDefinition,
    @Inject(TEAM_KIND) private readonly teamKind: ActorDefinition,
    private readonly agents: AgentProcessHost,
    private readonly events: EventLog,
    private readonly janitor: WorktreeJanitor,
    private readonly models: ModelProviders,
    private readonly stream: EventStream,
    private readonly metrics: RuntimeMetrics,
    private readonly refinery: Refinery,
    private readonly maintenance: MaintenanceWatcher,
    private readonly retention: Retention,
    private readonly queries: AgentQueries,
    private readonly member: LocalMember,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const runtimeRole = this.config.roles.includes('runtime');
    if (runtimeRole) {
      // Fails closed: a runtime that cannot sandbox agents does not start (sandbox.unavailable names bubblewrap).
      if (this.config.sandbox === 'off') new Logger('sandbox').warn(JSON.stringify({ event: 'sandbox.off', message: SANDBOX_OFF_WARNING }));
      else await this.agents.checkSandbox();
    }
    for (const kind of [this.counterKind, this.agentKind, this.teamKind]) this.runtime.system.register(kind);
    this.runtime.system.useFederation(this.member);
    this.bindMetrics();
    await this.member.start();
    await this.runtime.system.start();
    await this.stream.start();
    if (runtimeRole) {
      await this.janitor.start();
      this.refinery.start();
      await this.maintenance.start();
      this.retention.start();
    }
    if (this.models.offline) new Logger('models').log(JSON.stringify({ event: 'models.offline', message: 'no GODEL_PROVIDERS: agents use the scripted model (offline)' }));
  }

  async onApplicationShutdown(): Promise<void> {
    this.retention.close();
    await this.refinery.close();
    await this.maintenance.close();
    await this.runtime.close();
    await this.member.close();
    await this.agents.stopAll();
    await this.janitor.close();
    await this.models.close();
    await this.events.flush();
    await this.stream.close();
    if (this.ds.isInitialized) await this.ds.destroy();
  }

  private bindMetrics(): void {
    const rt = this.runtime;
    this.metrics.bind({
      stats: () => rt.system.stats(),
      mailboxDepth: async () => {
        const shards = rt.system.stats().ownedShards;
        if (shards.length === 0) return 0;
        // One XLEN per shard (a pipeline across slots fails on a Redis Cluster).
        const lens = await Promise.all(shards.map((n) => rt.redis.xlen(rt.keys.mailbox(n))));
        return lens.reduce((sum, v) => sum + v, 0);
      },
      agentsByState: () => this.queries.agentsByStatus(),
      mergeQueueDepth: () => this.refinery.depth(),
      sseStreams: () => this.stream.subscribers,
    });
  }
}
