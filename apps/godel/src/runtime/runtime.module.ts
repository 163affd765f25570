import { Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { counterActor, type ActorDefinition } from '@godel/actors';
import type { GodelConfig } from '@godel/config';
import { join } from 'node:path';
import { AgentProcessHost, WorktreeJanitor, agentActor, locatePiBin } from '@godel/agents';
import { inheritedEnv } from '@godel/config';
import { AgentQueries, EventLog, RepoRegistry, SessionStore, openDatabase } from '@godel/persistence';
import { MaintenanceWatcher, Refinery, startIntent, teamActor } from '@godel/orchestration';
import { SANDBOX_OFF_WARNING, Sandbox } from '@godel/sandbox';
import { ModelProviders } from '../agents/model-providers';
import { EventStream } from '../events/event-stream';
import { RuntimeMetrics } from '../metrics/runtime-metrics';
import { MeteredEventLog } from '../metrics/metered-event-log';
import { MeteredAgentHost } from '../metrics/metered-agent-host';
import { OtelTurnObserver } from '@godel/observability';
import type { DataSource } from 'typeorm';
import { Redis } from 'ioredis';
import { BULLMQ_CLIENT_OPTIONS, duplicateClient, withErrorListener } from '@godel/runtime-redis';
import { buildRuntime, newInstanceId, type BuiltRuntime } from './build-runtime';
import { Retention } from './retention';
import { ACTOR_DEFINITIONS, DATA_SOURCE, GODEL_CONFIG, RUNTIME, RUNTIME_REF, SANDBOX } from './runtime.tokens';

/** Events worth a log line; the rest are counted by metrics (a later issue) and kept quiet. */
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
 * Wires the actor runtime into the Nest app. The runtime hosts shards only in the `runtime` role;
 * an `api`-only instance still sends messages and asks. Shutdown is graceful (Nest shutdown hooks):
 * the turn in flight finishes, leases are released, another instance takes over without redelivery.
 */
@Module({
  providers: [
    {
      provide: DATA_SOURCE,
      inject: [GODEL_CONFIG],
      useFactory: (config: GodelConfig) => openDatabase({ url: config.databaseUrl!, schema: config.dbSchema, synchronousCommit: config.dbSynchronousCommit }),
    },
    { provide: EventLog, inject: [DATA_SOURCE, RuntimeMetrics], useFactory: (ds: DataSource, metrics: RuntimeMetrics) => new MeteredEventLog(ds, metrics) },
    { provide: AgentQueries, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new AgentQueries(ds) },
    { provide: RepoRegistry, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new RepoRegistry(ds) },
    {
      provide: EventStream,
      inject: [EventLog, RUNTIME],
      useFactory: (events: EventLog, rt: BuiltRuntime) => new EventStream(events, rt.redis, `${rt.keys.prefix}:events`),
    },
    { provide: ModelProviders, inject: [GODEL_CONFIG], useFactory: (config: GodelConfig) => ModelProviders.resolve(config) },
    {
      provide: WorktreeJanitor,
      inject: [GODEL_CONFIG, RUNTIME, AgentQueries, EventLog],
      useFactory: (config: GodelConfig, rt: BuiltRuntime, queries: AgentQueries, events: EventLog) =>
        new WorktreeJanitor({
          connection: duplicateClient(rt.redis, BULLMQ_CLIENT_OPTIONS),
          prefix: rt.keys.bullPrefix(),
          worktreesRoot: join(config.homeDir, 'worktrees'),
          policy: { onMerged: true, ttlMs: config.cleanup.ttlMs, keepFailed: config.cleanup.keepFailed },
          everyMs: config.cleanup.everyMs,
          repos: () => queries.repos(),
          agentStatus: (a) => queries.status(a),
          events,
          closeConnection: true,
        }),
    },
    { provide: SessionStore, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new SessionStore(ds) },
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
      provide: AgentProcessHost,
      inject: [GODEL_CONFIG, EventLog, RUNTIME_REF, RuntimeMetrics, SANDBOX],
      useFactory: (config: GodelConfig, events: EventLog, ref: { current?: BuiltRuntime }, metrics: RuntimeMetrics, sandbox: Sandbox) => {
        const env = inheritedEnv();
        // Candidates only: each agent gets PATH, locale and the keys its providers name, nothing else.
        const baseEnv = Object.fromEntries(Object.entries(env).filter(([k]) => ['PATH', 'LANG', 'LC_ALL', 'TZ'].includes(k) || (/_API_KEY$/.test(k) && !k.startsWith('GODEL_'))));
        return new MeteredAgentHost(
          {
            tell: (to, type, payload) => ref.current!.system.tell(to, type, payload),
            events,
            rootDir: join(config.homeDir, 'agents'),
            piBin: locatePiBin(__dirname) ?? 'pi',
            baseEnv,
            sandbox,
            hiddenDirs: [config.homeDir],
            admission: config.agents,
          },
          metrics,
        );
      },
    },
    { provide: RUNTIME_REF, useValue: {} },
    {
      // The merge queue: one BullMQ queue per deployment, serialized per repository + branch by redlock.
      provide: Refinery,
      inject: [GODEL_CONFIG, EventLog, RUNTIME_REF, SANDBOX],
      useFactory: (config: GodelConfig, events: EventLog, ref: { current?: BuiltRuntime }, sandbox: Sandbox) => {
        const connection = withErrorListener(new Redis(config.redisUrl!, BULLMQ_CLIENT_OPTIONS));
        return new Refinery({ connection, lockClient: connection, prefix: `${config.keyPrefix}:bull`, tell: (to, type, payload, extra) => ref.current!.system.tell(to, type, payload, extra), events, closeConnection: true, sandbox });
      },
    },
    {
      // Autonomic maintenance: repositories an admin registered with maintenance on (never by their own
      // .godel.yaml) whose target turns red get a team.
      provide: MaintenanceWatcher,
      inject: [GODEL_CONFIG, EventLog, RUNTIME, AgentQueries, ModelProviders, RepoRegistry, SANDBOX],
      useFactory: (config: GodelConfig, events: EventLog, rt: BuiltRuntime, queries: AgentQueries, models: ModelProviders, registry: RepoRegistry, sandbox: Sandbox) => {
        const connection = duplicateClient(rt.redis, BULLMQ_CLIENT_OPTIONS);
        return new MaintenanceWatcher({
          connection,
          redis: rt.redis,
          prefix: config.keyPrefix,
          everyMs: config.maintenanceEveryMs,
          repos: async () => (await registry.list({ maintenance: true })).filter((r) => r.verify).map((r) => ({ path: r.path, verify: r.verify! })),
          startIntent: (req) => startIntent((to, type, payload, ms) => rt.system.ask(to, type, payload, ms), req, models.providers),
          teamStatus: async (team) => (await queries.state<{ status: string }>(`team/${team}`))?.status,
          events,
          closeConnection: true,
          sandbox,
        });
      },
    },
    {
      provide: ACTOR_DEFINITIONS,
      inject: [GODEL_CONFIG, AgentProcessHost, EventLog, SessionStore, AgentQueries, Refinery, ModelProviders],
      useFactory: (config: GodelConfig, host: AgentProcessHost, events: EventLog, sessions: SessionStore, queries: AgentQueries, refinery: Refinery, models: ModelProviders) => [
        // The counter is the runtime's reference actor (demo, failover tests, benchmark).
        counterActor,
        agentActor({
          host,
          events,
          sessions,
          worktreesRoot: join(config.homeDir, 'worktrees'),
          keepFailedWorktrees: config.cleanup.keepFailed,
          teamUsage: (t, x) => queries.teamUsage(t, x),
          localizeProviders: (ps) => models.localize(ps),
        }),
        teamActor({ events, enqueueMerge: (job) => refinery.enqueue(job), withdrawMerges: (team) => refinery.withdraw(team), lastActivity: (a) => events.lastActivity(a), teamUsage: (t) => queries.teamUsage(t) }),
      ],
    },
    { provide: RuntimeMetrics, useValue: new RuntimeMetrics() },
    { provide: Retention, inject: [DATA_SOURCE, EventLog, GODEL_CONFIG], useFactory: (ds: DataSource, events: EventLog, config: GodelConfig) => new Retention(ds, events, config.retention) },
    {
      provide: RUNTIME,
      inject: [GODEL_CONFIG, DATA_SOURCE, ACTOR_DEFINITIONS, RUNTIME_REF, RuntimeMetrics],
      useFactory: (config: GodelConfig, ds: DataSource, defs: ActorDefinition[], ref: { current?: BuiltRuntime }, metrics: RuntimeMetrics) => {
        const log = new Logger('runtime');
        return (ref.current = buildRuntime({
          redisUrl: config.redisUrl!,
          dataSource: ds,
          keyPrefix: config.keyPrefix,
          runtime: config.runtime,
          definitions: defs,
          instanceId: config.instanceId ?? newInstanceId(),
          hostShards: config.roles.includes('runtime'),
          observer: new OtelTurnObserver((kind, seconds, ok) => metrics.turn(kind, seconds, ok)),
          onEvent: (type, data) => {
            metrics.count(type, data);
            if (LOGGED.has(type)) log.log(JSON.stringify({ event: type, ...data, at: Date.now() }));
          },
        }));
      },
    },
  ],
  exports: [RUNTIME, DATA_SOURCE, RepoRegistry, Retention, EventLog, SessionStore, AgentProcessHost, AgentQueries, ModelProviders, EventStream, RuntimeMetrics, Refinery],
})
export class RuntimeModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: BuiltRuntime,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly agents: AgentProcessHost,
    private readonly events: EventLog,
    private readonly janitor: WorktreeJanitor,
    private readonly models: ModelProviders,
    private readonly stream: EventStream,
    private readonly metrics: RuntimeMetrics,
    private readonly refinery: Refinery,
    private readonly maintenance: MaintenanceWatcher,
    private readonly retention: Retention,
    @Inject(GODEL_CONFIG) private readonly config: GodelConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.roles.includes('runtime')) {
      // Fails closed: a runtime that cannot sandbox agents does not start (sandbox.unavailable names bubblewrap).
      if (this.config.sandbox === 'off') new Logger('sandbox').warn(JSON.stringify({ event: 'sandbox.off', message: SANDBOX_OFF_WARNING }));
      else await this.agents.checkSandbox();
    }
    const rt = this.runtime;
    this.metrics.bind({
      stats: () => rt.system.stats(),
      mailboxDepth: async () => {
        const shards = rt.system.stats().ownedShards;
        if (shards.length === 0) return 0;
        const pipe = rt.redis.pipeline();
        for (const n of shards) pipe.xlen(rt.keys.mailbox(n));
        return ((await pipe.exec()) ?? []).reduce((sum, [, v]) => sum + (typeof v === 'number' ? v : 0), 0);
      },
      agentsByState: async () => {
        const rows: Array<{ state: string | null; n: string }> = await this.ds.query(`SELECT state->>'status' AS state, count(*) AS n FROM actor_state WHERE kind = 'agent' GROUP BY 1`);
        return Object.fromEntries(rows.map((r) => [r.state ?? 'unknown', Number(r.n)]));
      },
      mergeQueueDepth: () => this.refinery.depth(),
      sseStreams: () => this.stream.subscribers,
    });
    await this.runtime.system.start();
    await this.stream.start();
    if (this.config.roles.includes('runtime')) {
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
    await this.agents.stopAll();
    await this.janitor.close();
    await this.models.close();
    await this.events.flush();
    await this.stream.close();
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
