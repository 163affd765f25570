import { Redis } from 'ioredis';
import type { ActorDefinition } from '@godel/actors';
import { agentAddress, type AgentState } from '@godel/agents';
import { Refinery, startIntent, teamActor, teamAddress, type IntentRequest, type TeamState } from '@godel/orchestration';
import { AgentQueries, type StoredEvent } from '@godel/persistence';
import { teamPlaybook, type TeamPlaybook } from '@godel/testing';
import { createAgentFixture, type AgentFixture, type AgentFixtureOptions } from '../agents/agent-fixture';

export { git } from '@godel/testing';

/** A sample repository whose verification (`node check.js`) runs every checks/*.js. */
export const CHECKED_REPO: Record<string, string> = {
  'README.md': '# calc\n',
  'check.js': [
    "const fs = require('fs'); const path = require('path');",
    "const dir = path.join(__dirname, 'checks');",
    "const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.js')) : [];",
    "for (const f of files) { require(path.join(dir, f)); console.log('ok', f); }",
    "console.log(files.length + ' checks passed');",
    '',
  ].join('\n'),
};

export interface TeamFixture {
  agents: AgentFixture;
  refinery: Refinery;
  repo: string;
  /** Prepares and starts an intent; returns the team name. */
  run(req: Omit<IntentRequest, 'repo'> & { repo?: string }): Promise<string>;
  team(team: string): Promise<TeamState>;
  untilDone(team: string, timeoutMs?: number): Promise<TeamState>;
  events(team: string): Promise<StoredEvent[]>;
  agent(team: string, name: string): Promise<AgentState>;
  close(): Promise<void>;
}

export interface TeamFixtureOptions {
  /** Wraps the team actor's definition (a fault test puts faults around its effect executors). */
  wrapTeam?: (def: ActorDefinition<TeamState>) => ActorDefinition<TeamState>;
}

/**
 * One Godel instance in-process — agent actors (real `pi`), the team actor and the refinery (BullMQ
 * + redlock) over the real Redis and PostgreSQL — a sample git repository, and the scripted model
 * playing `book`.
 */
export async function createTeamFixture(book: TeamPlaybook, o: AgentFixtureOptions & TeamFixtureOptions = {}): Promise<TeamFixture> {
  let refinery!: Refinery;
  let lockClient!: Redis;
  const agents = await createAgentFixture(
    {},
    {
      repoFiles: CHECKED_REPO,
      play: teamPlaybook(book),
      ...o,
      definitions: (f) => {
        lockClient = new Redis(f.env.redisUrl, { maxRetriesPerRequest: null });
        refinery = new Refinery({ connection: lockClient, lockClient, prefix: `${f.env.keyPrefix}:bull`, tell: f.tell, events: f.events, backoffMs: 200 });
        const queries = new AgentQueries(f.env.dataSource);
        return [
          (o.wrapTeam ?? ((d) => d))(
            teamActor({
              events: f.events,
              enqueueMerge: (job) => refinery.enqueue(job),
              withdrawMerges: (team) => refinery.withdraw(team),
              lastActivity: (a) => f.events.lastActivity(a),
              promptsTaken: (a) => f.events.promptsTaken(a),
              teamUsage: (t) => queries.teamUsage(t),
            }),
          ),
          ...(o.definitions?.(f) ?? []),
        ];
      },
    },
  );
  refinery.start();
  const get = (team: string) => agents.rt.system.ask<TeamState>(teamAddress(team), 'get', {}, 15000);
  return {
    agents,
    refinery,
    repo: agents.repo,
    async run(req) {
      return (await startIntent((to, type, payload, ms) => agents.rt.system.ask(to, type, payload, ms), { repo: agents.repo, ...req }, agents.providers)).team;
    },
    team: get,
    async untilDone(team, timeoutMs = 120_000) {
      const end = Date.now() + timeoutMs;
      let s = await get(team);
      while (!['succeeded', 'failed', 'cancelled'].includes(s.status)) {
        if (Date.now() > end) throw new Error(`team ${team} still ${s.status}: ${JSON.stringify(Object.fromEntries(s.order.map((id) => [id, s.tasks[id].status])))}`);
        await new Promise((r) => setTimeout(r, 250));
        s = await get(team);
      }
      await agents.events.flush();
      return s;
    },
    async events(team) {
      await agents.events.flush();
      return agents.events.list({ team, limit: 10_000 });
    },
    agent: (team, name) => agents.get(agentAddress(team, name)),
    async close() {
      await refinery.close();
      await agents.close();
      lockClient.disconnect();
    },
  };
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every 100 ms until it gives a value (not undefined); throws naming `what` after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Registers an afterEach that closes the last team fixture the test made with `create` (a suite's tests each make their own). */
export function teamFixturePerTest(): { create: typeof createTeamFixture } {
  let last: TeamFixture | undefined;
  afterEach(async () => {
    await last?.close();
    last = undefined;
  });
  return {
    async create(book, o) {
      last = await createTeamFixture(book, o);
      return last;
    },
  };
}
