import type { EffectExecutor } from '@godel/actors';
import type { EventLog } from '@godel/persistence';

/** The custom effect types of the agent actor (ActorDefinition.effects). */
export const AGENT_EFFECTS = { event: 'agent.event' } as const;

/** An agent event as its turn commits it (the payload of an `agent.event` effect). */
export interface AgentEvent {
  type: string;
  agent: string;
  team: string;
  correlationId?: string;
  data: Record<string, unknown>;
  at: number;
}

type Fields = Record<string, unknown>;
const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAgentEvent = (p: unknown): p is AgentEvent =>
  isRecord(p) && typeof p.type === 'string' && typeof p.agent === 'string' && typeof p.team === 'string' && isRecord(p.data) && typeof p.at === 'number';

/**
 * The executors of the agent's effects, idempotent by effect id: an event is appended with the
 * effect's id as its idempotency key, so running a committed outbox again stores nothing twice.
 */
export function agentEffectExecutors(deps: { events: EventLog }): Record<string, EffectExecutor> {
  return {
    [AGENT_EFFECTS.event]: async (e) => {
      if (!isAgentEvent(e.payload)) throw new Error(`agent effect ${e.type}: payload does not fit`);
      const ev = e.payload;
      await deps.events.append({ type: ev.type, agent: ev.agent, team: ev.team, correlationId: ev.correlationId, data: ev.data, at: ev.at, idemKey: e.id });
    },
  };
}
