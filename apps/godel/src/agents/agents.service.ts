import { Injectable } from '@nestjs/common';
import { agentAddress, agentRef, type AgentRef, type AgentState } from '@godel/agents';
import { AgentQueries, EventLog, SessionStore, type StoredEvent } from '@godel/persistence';
import { InvalidRequest, NotFound } from '../errors';
import { RuntimeService } from '../runtime/runtime.service';
import { ModelProviders } from './model-providers';

const ASK_MS = 120_000;

/** What a client may set when it starts an agent (providers, runtime and forkOf are the server's). */
export interface StartAgent {
  repo: string;
  prompt?: string;
  baseRef?: string;
  role?: string;
  tier?: 'strong' | 'cheap';
  budget?: { tokens?: number; costUsd?: number };
  teamBudget?: { tokens?: number; costUsd?: number };
}

export type AgentAction = { action: 'prompt' | 'steer'; text: string } | { action: 'abort' | 'stop' | 'restart'; reason?: string } | { action: 'fork'; name: string; entry?: string };

/** Agents for the HTTP layer: the agent actors (through the runtime) and their committed state, events and sessions. */
@Injectable()
export class AgentsService {
  constructor(
    private readonly runtime: RuntimeService,
    private readonly models: ModelProviders,
    private readonly queries: AgentQueries,
    private readonly events: EventLog,
    private readonly sessions: SessionStore,
  ) {}

  describeModels(): { offline: boolean; providers: string[] } {
    return this.models.describe();
  }

  start(team: string, name: string, req: StartAgent): Promise<AgentState> {
    return this.agent(agentAddress(team, name)).ask('agent.start', { ...req, providers: this.models.providers }, ASK_MS);
  }

  list(team?: string): Promise<Array<{ address: string; state: Record<string, unknown> }>> {
    return this.queries.list({ team });
  }

  async get(team: string, name: string): Promise<AgentState> {
    return this.agent(await this.existing(team, name)).ask('get', {}, ASK_MS);
  }

  /** A typed reference to the agent at `address` (its protocol: libs/agents `messages.ts`). */
  agent(address: string): AgentRef {
    return agentRef(this.runtime, address);
  }

  /** The address of an agent that was started (committed state); 404 otherwise. */
  async existing(team: string, name: string): Promise<string> {
    const to = agentAddress(team, name);
    const status = await this.queries.status(to);
    if (status === undefined || status === 'new') throw new NotFound(`no agent ${team}/${name} (list them with GET /api/v1/agents?team=${team})`);
    return to;
  }

  /** An action on a started agent `to` (see `existing`) of `team`. */
  async act(to: string, team: string, a: AgentAction): Promise<AgentState> {
    const agent = this.agent(to);
    switch (a.action) {
      case 'prompt':
      case 'steer':
        return agent.ask(`agent.${a.action}`, { text: a.text }, ASK_MS);
      case 'abort':
      case 'stop':
      case 'restart':
        return agent.ask(`agent.${a.action}`, { reason: a.reason }, ASK_MS);
      case 'fork': {
        const parent = await agent.ask('get', {}, ASK_MS);
        if (!parent.repo) throw new InvalidRequest(`${to} has not started; nothing to fork`);
        return this.agent(agentAddress(team, a.name)).ask('agent.start', { repo: parent.repo, providers: parent.providers, forkOf: { agent: to, entry: a.entry } }, ASK_MS);
      }
    }
  }

  async agentEvents(team: string, name: string, after: number, limit: number): Promise<StoredEvent[]> {
    return this.events.list({ agent: await this.existing(team, name), after, limit });
  }

  /** Tokens and cost summed over a team's agents; 404 for a team without agents. */
  async teamUsage(team: string): Promise<{ team: string; total: number; costUsd: number; agents: number }> {
    const usage = await this.queries.teamUsage(team);
    if (usage.agents === 0) throw new NotFound(`no agents in team ${team}`);
    return { team, ...usage };
  }

  async sessionTree(team: string): Promise<Array<{ agent: string; parent: string | null; forkedFromEntry: string | null; entries: number; updatedAt: string }>> {
    const rows = await this.sessions.tree(team);
    if (rows.length === 0 && (await this.queries.teamUsage(team)).agents === 0) throw new NotFound(`no agents in team ${team}`);
    return rows.map((r) => ({ agent: r.agent, parent: r.parentAgent, forkedFromEntry: r.forkedFromEntry, entries: r.content.split('\n').filter(Boolean).length, updatedAt: r.updatedAt }));
  }
}
