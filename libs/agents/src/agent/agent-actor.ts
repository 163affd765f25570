import { UnknownMessageError, messageOf, type ActorContext, type ActorDefinition, type Message } from '@godel/actors';
import { initialAgentState, type AgentState } from './agent-state';
import { AgentStateError } from './agent-errors';
import type { AgentActorDeps } from './agent-deps';
import { ACTIVE, AgentTurn } from './agent-turn';
import { admitted, start } from './agent-start';
import { prompt } from './agent-prompt';
import { turnEnd } from './agent-turn-end';
import { exited } from './agent-exit';
import { stop } from './agent-end';
import type { AgentMessage } from './messages';
import { agentEffectExecutors } from './agent-effects';

export { agentAddress } from './messages';
export type { AgentActorDeps } from './agent-deps';

/**
 * The agent actor: owns one coding-agent process in its own worktree. Its durable state says what
 * should be running; the process host on the current instance makes it so, and reports turn ends
 * and exits back as messages. A crashed process is restarted on its stored session; an actor that
 * moved to another instance resumes the same session there. One file per message handler family:
 * start (`agent-start`), prompt, turn end, exit/restart, stop/fail (`agent-end`); events and owner
 * updates leave through `AgentTurn`, events as
 * `agent.event` outbox effects appended after commit (agent-effects.ts).
 */
export function agentActor(deps: AgentActorDeps): ActorDefinition<AgentState> {
  return {
    kind: 'agent',
    initialState: (id) => {
      const [team, name] = id.key.includes(':') ? id.key.split(':', 2) : [id.key, id.key];
      return initialAgentState(team, name);
    },
    maxAttempts: 2,
    idleTimeoutMs: 3_600_000,
    effects: agentEffectExecutors(deps),
    async receive(s: AgentState, msg: Message, ctx: ActorContext): Promise<AgentState> {
      const t = new AgentTurn(deps, ctx);
      const next = await handle(t, s, messageOf<AgentMessage>(msg));
      // A queued start answers with its live position (it only shrinks).
      const position = next.queue ? deps.host.queuePosition(ctx.selfAddress) : undefined;
      ctx.reply(next.queue && position !== undefined ? { ...next, queue: { ...next.queue, position } } : next);
      return next;
    },
  };
}

/** External messages (the generic HTTP route) may come with a `null` payload: their fields are read defensively. */
async function handle(t: AgentTurn, s: AgentState, m: AgentMessage): Promise<AgentState> {
  const { host } = t.deps;
  switch (m.type) {
    case 'agent.start':
      return start(t, s, m.payload);
    case 'agent.prompt':
      return prompt(t, s, String(m.payload?.text ?? ''), typeof m.payload?.id === 'string' ? m.payload.id : undefined);
    case 'agent.steer':
      if (host.has(t.self)) await host.steer(t.self, String(m.payload?.text ?? ''));
      return s;
    case 'agent.abort':
      if (host.has(t.self)) await host.abort(t.self);
      return s;
    case 'agent.restart':
      // Monitor (stuck) or operator: the process goes, the session stays; counts toward the
      // restart intensity like a crash.
      if (!ACTIVE.has(s.status)) throw new AgentStateError(s.status, 'restart');
      await host.stop(t.self);
      return exited(t, s, { code: null, signal: String(m.payload?.reason ?? 'restart requested') });
    case 'agent.admitted':
      return admitted(t, s);
    case 'agent.stop':
      return stop(t, s, m.payload ?? {});
    case 'agent.turn_end':
      return turnEnd(t, s, m.payload);
    case 'agent.exited':
      return exited(t, s, m.payload);
    case 'reminder': {
      // Heartbeat: the process should run wherever this actor lives now (after a failover too).
      // A queued start that no instance remembers (it moved) starts now, waiting in line in spawn.
      let next = s;
      if (s.queue) {
        if (!host.pending(t.self)) next = await admitted(t, s);
      } else if (ACTIVE.has(s.status) && s.status !== 'idle' && !host.has(t.self)) next = await exited(t, s, { code: null, signal: 'not running here' });
      // An idle agent with no process here (its shard was handed over, or its host died between
      // turns) did not crash: its process starts with its next prompt, on its stored session.
      // Restarting it here counted a move as a crash (agent.exited + agent.restarted).
      if (ACTIVE.has(next.status)) t.ctx.scheduleReminder('heartbeat', t.heartbeatMs);
      return next;
    }
    case 'get':
      return s;
    default:
      throw new UnknownMessageError('agent', (m as { type: string }).type);
  }
}
