import type { ActorRef, MessageSender, OutboxRef } from '@godel/actors';
import { actorRef, outboxRef } from '@godel/actors';
import type { AgentState, StartAgent } from './agent-state';
import type { LimitHit } from './host-types';

type NoPayload = Record<string, never>;

/**
 * The agent actor's protocol (kind `agent`). External (the generic HTTP route may send them, payload
 * possibly `null`): `get`, `agent.prompt`, `agent.steer`, `agent.abort`, `agent.stop`, `agent.restart`.
 * Internal: `agent.start` (the agents service, a team), `agent.turn_end`/`agent.exited`/`agent.admitted`
 * (the process host), `reminder` (the heartbeat). Every message is answered with the agent's state.
 */
export type AgentMessage =
  | { type: 'agent.start'; payload: StartAgent }
  | { type: 'agent.prompt'; payload: { text: string; id?: string } }
  | { type: 'agent.steer'; payload: { text: string } }
  | { type: 'agent.abort'; payload: { reason?: string } }
  | { type: 'agent.restart'; payload: { reason?: string } }
  | { type: 'agent.stop'; payload: AgentStop }
  | { type: 'agent.admitted'; payload: NoPayload }
  | { type: 'agent.turn_end'; payload: TurnEnd }
  | { type: 'agent.exited'; payload: ProcessExit }
  | { type: 'reminder'; payload: unknown }
  | { type: 'get'; payload: NoPayload };

/** The process host saw the process finish a turn. */
export interface TurnEnd {
  stopReason: string;
  errorMessage?: string;
  text?: string;
  /** The turn was aborted by the budget guard (pi: from the streamed usage). */
  budgetExceeded?: LimitHit;
  /**
   * The pi process that ended the turn: a turn end from a process the agent no longer runs (stopped
   * for a restart or a move, its aborted turn ending late) is not the agent's and is ignored.
   */
  pid?: number;
}

/** The process host saw the process exit. */
export interface ProcessExit {
  pid?: number;
  code: number | null;
  signal: string | null;
}

export interface AgentStop {
  reason?: string;
  /** No `stopped` update to the owner (the owner asked). */
  quiet?: boolean;
  /** Also remove the worktree and its branch (the team ended). */
  cleanup?: boolean;
}

/** A reference to an agent: its messages typed, asks answered with its state. */
export type AgentRef = ActorRef<AgentMessage, AgentState>;

/** Agent addresses are `agent/<team>:<name>`: the team is the affinity key, so a team lives on one instance. */
export function agentAddress(team: string, name: string): string {
  return `agent/${team}:${name}`;
}

/** A typed reference to `agent/<team>:<name>` (or an agent address) over the runtime's client. */
export function agentRef(sender: MessageSender, address: string): AgentRef {
  return actorRef<AgentMessage, AgentState>(sender, address);
}

/** A typed tell to an agent from inside a turn (e.g. the team actor): goes out through the outbox. */
export function agentOutbox(ctx: Parameters<typeof outboxRef>[0], address: string): OutboxRef<AgentMessage> {
  return outboxRef<AgentMessage>(ctx, address);
}
