import type { AgentState } from './agent-state';
import { ACTIVE, type AgentTurn } from './agent-turn';
import { AgentStateError } from './agent-errors';
import { promptHost, spawn } from './agent-process';

/**
 * `agent.prompt`: one turn at a time; a start waiting for its slot keeps the prompt for after the
 * start. A prompt with an `id` is taken once: the same id again (its sender saw no sign of it and
 * resent it) changes nothing, whether the first copy is queued, running or done.
 */
export async function prompt(t: AgentTurn, s: AgentState, text: string, id?: string): Promise<AgentState> {
  if (id !== undefined && (s.promptId === id || s.queue?.promptId === id)) return s;
  if (!ACTIVE.has(s.status)) throw new AgentStateError(s.status, 'prompt');
  if (s.queue) {
    // Waiting for a start slot: the prompt runs once the process has started.
    if (s.queue.prompt) throw new AgentStateError(s.status, 'prompt (queued for a start slot with a prompt already)');
    s.queue.prompt = text;
    s.queue.promptId = id;
    t.emit(s, 'agent.prompt_queued', { chars: text.length, position: s.queue.position, promptId: id });
    return s;
  }
  // One turn at a time: a second prompt would be refused by the runtime mid-turn (it was a 500).
  if (s.status === 'running') throw new AgentStateError(s.status, 'prompt (steer it, or prompt again when the turn has ended)');
  if (!t.deps.host.has(t.self)) await spawn(t, s);
  await promptHost(t, s, text);
  s.status = 'running';
  s.currentPrompt = text;
  s.promptId = id;
  t.emit(s, 'agent.prompted', { chars: text.length, promptId: id });
  return s;
}
