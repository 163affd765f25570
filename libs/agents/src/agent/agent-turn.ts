import type { ActorContext } from '@godel/actors';
import type { AgentActorDeps } from './agent-deps';
import { AGENT_EFFECTS, type AgentEvent } from './agent-effects';
import type { AgentState, AgentUpdate } from './agent-state';

/** Statuses in which the agent has (or should have) a process. */
export const ACTIVE: ReadonlySet<string> = new Set(['starting', 'running', 'idle']);
export const RESUME_PROMPT = 'Your previous process stopped unexpectedly. Continue the task from where you left off.';

/**
 * One turn of an agent actor: its dependencies, its context, and the two ways a turn tells the
 * world what happened — `emit` (an event) and `notify` (an update to the owner).
 *
 * Every event of the turn goes through `emit`, which adds an `agent.event` effect to the turn's
 * outbox: it commits with the state and its executor appends it after commit with the effect's
 * deterministic id (`<actor>@<stream id>#<n>`) as the event log's idempotency key. A retried turn
 * appends nothing (its failed attempts' effects are dropped); a committed turn whose effects run
 * again after a crash appends each event once (see the package README, "Events").
 */
export class AgentTurn {
  constructor(
    readonly deps: AgentActorDeps,
    readonly ctx: ActorContext,
  ) {}

  get self(): string {
    return this.ctx.selfAddress;
  }

  /** Period of the heartbeat reminder (liveness, and resuming an actor that moved). */
  get heartbeatMs(): number {
    return this.deps.heartbeatMs ?? 5000;
  }

  /** Records an agent event (with the agent's status, at the turn's time) as an outbox effect. */
  emit(s: AgentState, type: string, data: Record<string, unknown> = {}): void {
    const event: AgentEvent = { type, agent: this.ctx.selfAddress, team: s.team, correlationId: s.correlationId, data: { status: s.status, ...data }, at: this.ctx.now() };
    this.ctx.effect(AGENT_EFFECTS.event, event);
  }

  /** Tells the owner (a team) what happened; sent after the turn commits, like every tell. */
  notify(s: AgentState, event: AgentUpdate['event'], extra: Partial<AgentUpdate> = {}): void {
    if (!s.owner) return;
    s.updates = (s.updates ?? 0) + 1;
    const update: AgentUpdate = { name: s.name, event, status: s.status, reason: s.reason, worktree: s.worktree, branch: s.branch, usage: s.usage, restarts: s.restarts.length, seq: s.updates, ...extra };
    this.ctx.tell(s.owner, 'team.agent_update', update);
  }
}
