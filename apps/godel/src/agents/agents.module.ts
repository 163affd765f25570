import { Module } from '@nestjs/common';
import { join } from 'node:path';
import { AgentProcessHost, WorktreeJanitor, agentActor, locatePiBin } from '@godel/agents';
import { inheritedEnv, type GodelConfig } from '@godel/config';
import { AgentQueries, EventLog, SessionStore } from '@godel/persistence';
import { AgentRepos, RepoMirrors } from '@godel/workspace';
import { BULLMQ_CLIENT_OPTIONS, duplicateClient } from '@godel/runtime-redis';
import type { Sandbox } from '@godel/sandbox';
import { AgentsController } from './agents.controller';
import { MeteredAgentHost } from '../metrics/metered-agent-host';
import { MetricsModule } from '../metrics/metrics.module';
import { RuntimeMetrics } from '../metrics/runtime-metrics';
import { ReposModule } from '../repos/repos.module';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { RuntimeModule } from '../runtime/runtime.module';
import { SandboxModule } from '../sandbox/sandbox.module';
import { StoreModule } from '../store/store.module';
import { AGENT_KIND, GODEL_CONFIG, RUNTIME, SANDBOX } from '../tokens';
import { AgentsService } from './agents.service';
import { ModelProviders } from './model-providers';

/** Agents: the per-instance pi process host, the agent actor kind, the model providers, the worktree janitor and the agents API. */
@Module({
  imports: [RuntimeModule, StoreModule, MetricsModule, SandboxModule, ReposModule],
  controllers: [AgentsController],
  providers: [
    {
      provide: AgentProcessHost,
      inject: [GODEL_CONFIG, EventLog, RUNTIME, RuntimeMetrics, SANDBOX],
      useFactory: (config: GodelConfig, events: EventLog, rt: BuiltRuntime, metrics: RuntimeMetrics, sandbox: Sandbox) => {
        const env = inheritedEnv();
        // Candidates only: each agent gets PATH, locale and the keys its providers name, nothing else.
        const baseEnv = Object.fromEntries(Object.entries(env).filter(([k]) => ['PATH', 'LANG', 'LC_ALL', 'TZ'].includes(k) || (/_API_KEY$/.test(k) && !k.startsWith('GODEL_'))));
        return new MeteredAgentHost(
          {
            tell: (to, type, payload) => rt.system.tell(to, type, payload),
            events,
            rootDir: join(config.homeDir, 'agents'),
            piBin: locatePiBin(__dirname) ?? 'pi',
            baseEnv,
            sandbox,
            hiddenDirs: [config.homeDir],
            admission: config.agents,
            pool: config.agents.pool,
          },
          metrics,
        );
      },
    },
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
    {
      provide: AGENT_KIND,
      inject: [GODEL_CONFIG, AgentProcessHost, EventLog, SessionStore, AgentQueries, ModelProviders, RepoMirrors],
      useFactory: (config: GodelConfig, host: AgentProcessHost, events: EventLog, sessions: SessionStore, queries: AgentQueries, models: ModelProviders, mirrors: RepoMirrors) =>
        agentActor({
          host,
          events,
          sessions,
          worktreesRoot: join(config.homeDir, 'worktrees'),
          repos: new AgentRepos({ mirrors, worktreesRoot: join(config.homeDir, 'worktrees') }),
          keepFailedWorktrees: config.cleanup.keepFailed,
          teamUsage: (t, x) => queries.teamUsage(t, x),
          localizeProviders: (ps) => models.localize(ps),
        }),
    },
    { provide: ModelProviders, inject: [GODEL_CONFIG], useFactory: (config: GodelConfig) => ModelProviders.resolve(config) },
    AgentsService,
  ],
  exports: [AgentProcessHost, WorktreeJanitor, AGENT_KIND, AgentsService, ModelProviders],
})
export class AgentsModule {}
