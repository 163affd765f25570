import { join } from 'node:path';
import { Module } from '@nestjs/common';
import type { GodelConfig } from '@godel/config';
import { MaintenanceWatcher, Refinery, teamActor, teamAddress } from '@godel/orchestration';
import { AgentQueries, EventLog, RepoRegistry } from '@godel/persistence';
import { BULLMQ_CLIENT_OPTIONS, bullPrefix, createRedisClient, duplicateClient, isClusterUrl, withErrorListener } from '@godel/runtime-redis';
import type { Sandbox } from '@godel/sandbox';
import { AgentRepos, RepoMirrors } from '@godel/workspace';
import { AgentsModule } from '../agents/agents.module';
import { FederationModule } from '../federation/federation.module';
import { TeamsController } from './teams.controller';
import { ReposModule } from '../repos/repos.module';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { RuntimeModule } from '../runtime/runtime.module';
import { SandboxModule } from '../sandbox/sandbox.module';
import { StoreModule } from '../store/store.module';
import { GODEL_CONFIG, RUNTIME, SANDBOX, TEAM_KIND } from '../tokens';
import { TeamsService } from './teams.service';

/** Teams: the team actor kind, the merge queue (refinery), autonomic maintenance and the intents/teams API. */
@Module({
  imports: [RuntimeModule, StoreModule, SandboxModule, AgentsModule, ReposModule, FederationModule],
  controllers: [TeamsController],
  providers: [
    {
      // The merge queue: one BullMQ queue per deployment, serialized per repository + branch by redlock.
      provide: Refinery,
      inject: [GODEL_CONFIG, EventLog, RUNTIME, SANDBOX, RepoMirrors],
      useFactory: (config: GodelConfig, events: EventLog, rt: BuiltRuntime, sandbox: Sandbox, mirrors: RepoMirrors) => {
        const connection = withErrorListener(createRedisClient(config.redisUrl!, BULLMQ_CLIENT_OPTIONS));
        return new Refinery({ connection, lockClient: connection, prefix: bullPrefix(config.keyPrefix, isClusterUrl(config.redisUrl!)), tell: (to, type, payload, extra) => rt.system.tell(to, type, payload, extra), events, closeConnection: true, sandbox, mirrors, remoteWaitMs: config.remoteWaitMs });
      },
    },
    {
      provide: TEAM_KIND,
      inject: [GODEL_CONFIG, EventLog, AgentQueries, Refinery, RepoMirrors, RUNTIME],
      // Teams on repository URLs (issue 12) work in this instance's mirror and its agents' worktrees (same root as the agents').
      useFactory: (config: GodelConfig, events: EventLog, queries: AgentQueries, refinery: Refinery, mirrors: RepoMirrors, rt: BuiltRuntime) =>
        teamActor({
          events,
          enqueueMerge: (job) => refinery.enqueue(job),
          withdrawMerges: (team) => refinery.withdraw(team),
          lastActivity: (a) => events.lastActivity(a),
          promptsTaken: (a) => events.promptsTaken(a),
          teamUsage: (t) => queries.teamUsage(t),
          repos: { mirrors, agents: new AgentRepos({ mirrors, worktreesRoot: join(config.homeDir, 'worktrees') }) },
          // A URL team whose remote stays unavailable past the wait fails (its effects give up).
          remoteWaitMs: config.remoteWaitMs,
          failTeam: (team, reason) => rt.system.tell(teamAddress(team), 'team.cancel', { reason, fail: true }),
        }),
    },
    TeamsService,
    {
      // Autonomic maintenance: repositories an admin registered with maintenance on (never by their own
      // .godel.yaml) whose target turns red get a team.
      provide: MaintenanceWatcher,
      inject: [GODEL_CONFIG, EventLog, RUNTIME, RepoRegistry, TeamsService, SANDBOX],
      useFactory: (config: GodelConfig, events: EventLog, rt: BuiltRuntime, registry: RepoRegistry, teams: TeamsService, sandbox: Sandbox) =>
        new MaintenanceWatcher({
          connection: duplicateClient(rt.redis, BULLMQ_CLIENT_OPTIONS),
          redis: rt.redis,
          prefix: config.keyPrefix,
          bullPrefix: rt.keys.bullPrefix(),
          everyMs: config.maintenanceEveryMs,
          repos: async () => (await registry.list({ maintenance: true })).filter((r) => r.verify).map((r) => ({ path: r.path, verify: r.verify! })),
          startIntent: (req) => teams.start(req),
          teamStatus: (team) => teams.status(team),
          events,
          closeConnection: true,
          sandbox,
        }),
    },
  ],
  exports: [Refinery, MaintenanceWatcher, TEAM_KIND, TeamsService],
})
export class TeamsModule {}
