import { runInContext, SpanKind, SpanStatusCode, startSpan } from '@godel/observability';
import { guardDenialFromEvent } from '../guard';
import type { PiEvent } from '../pi/pi-protocol';
import type { AgentRuntimeEvent } from '../runtime/agent-runtime';
import { cut, textOf } from '../runtime/text';
import { tellRef } from '@godel/actors';
import type { AgentHostDeps, Running } from './host-types';
import type { AgentMessage, TurnEnd } from './messages';

const RECORDED: Record<string, string> = {
  agent_start: 'agent.turn_started',
  turn_start: 'agent.step_started',
  turn_end: 'agent.step_ended',
  tool_execution_start: 'agent.tool_started',
  tool_execution_end: 'agent.tool_ended',
  message_end: 'agent.message',
  auto_retry_start: 'agent.retry',
  protocol_error: 'agent.protocol_error',
};

/**
 * What a running agent process reports, as the host passes it on: events into the log (tool calls
 * as trace spans under the prompting turn), turn ends back to the actor, and the mid-turn budget.
 */
export class HostEventRelay {
  constructor(private readonly sink: Pick<AgentHostDeps, 'events' | 'tell'>) {}

  /** A tool call is a span under the turn that prompted the agent (ended by its end event). */
  traceTool(agent: string, r: Running, phase: 'start' | 'end', id: string, name: string, isError = false): void {
    if (!r.trace) return;
    r.tools ??= new Map();
    if (phase === 'start') {
      const { span } = startSpan(`tool ${name}`, { kind: SpanKind.INTERNAL, parent: r.trace, attributes: { 'godel.agent': agent, 'godel.tool': name, 'godel.tool_call_id': id } });
      r.tools.set(id, span);
      return;
    }
    const span = r.tools.get(id);
    if (!span) return;
    r.tools.delete(id);
    if (isError) span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool reported an error' });
    span.end();
  }

  /**
   * Turn ends go back to the actor inside the prompting turn's trace — not from a process the host
   * stopped on purpose (a restart, a stop, a hand-over): the turn it aborts ends with an error
   * ("Connection error.", "aborted") that is not the agent's, and would fail the process started after it.
   */
  turnEnded(r: Running, agent: string, payload: TurnEnd): Promise<void> {
    if (r.stopping) return Promise.resolve();
    const tell = () => tellRef<AgentMessage>(this.sink, agent).tell('agent.turn_end', payload);
    return r.trace ? runInContext(r.trace, tell) : tell();
  }

  onRuntimeEvent(agent: string, r: Running, e: AgentRuntimeEvent): void {
    if (e.kind === 'tool.start') this.traceTool(agent, r, 'start', e.data.toolCallId, e.data.name);
    if (e.kind === 'tool.end') this.traceTool(agent, r, 'end', e.data.toolCallId, e.data.name, e.data.isError);
    const type = RUNTIME_RECORDED[e.kind];
    if (type) void this.sink.events.append({ type, agent, team: r.team, correlationId: r.correlationId, data: summarizeRuntime(e) }).catch(() => undefined);
    if (e.kind === 'agent.end') {
      const payload = { stopReason: e.data.ok ? 'stop' : 'error', errorMessage: e.data.ok ? undefined : `${e.data.reason}: ${e.data.detail ?? ''}`, text: e.data.text };
      void this.turnEnded(r, agent, payload).catch(() => undefined);
    }
  }

  onEvent(agent: string, r: Running, e: PiEvent): void {
    const denial = guardDenialFromEvent(e);
    if (denial) {
      void this.sink.events.append({ type: 'guard.denied', agent, team: r.team, correlationId: r.correlationId, data: { ...denial } }).catch(() => undefined);
      return;
    }
    if (e.type === 'tool_execution_start') this.traceTool(agent, r, 'start', e.toolCallId, e.toolName);
    if (e.type === 'tool_execution_end') this.traceTool(agent, r, 'end', e.toolCallId, e.toolName, e.isError);
    const type = RECORDED[e.type];
    if (type) void this.sink.events.append({ type, agent, team: r.team, correlationId: r.correlationId, data: summarize(e) }).catch(() => undefined);
    if (e.type === 'message_end' && e.message.role === 'assistant' && e.message.usage) this.countUsage(agent, r, e.message.usage);
    if (e.type === 'agent_end') {
      const last = [...e.messages].reverse().find((m) => m.role === 'assistant');
      const payload = { stopReason: last?.stopReason ?? 'stop', errorMessage: last?.errorMessage, text: last ? cut(textOf(last.content), 64 * 1024) : undefined, budgetExceeded: r.limitHit, pid: r.pi?.pid };
      r.limit = undefined;
      void this.turnEnded(r, agent, payload).catch(() => undefined);
    }
  }

  /** Adds one response's usage to the turn's; past the limit the turn is aborted (see limitTurn). */
  countUsage(agent: string, r: Running, u: { totalTokens?: number; input?: number; output?: number; cacheRead?: number; cacheWrite?: number; cost?: { total?: number } }): void {
    const l = r.limit;
    if (!l || r.limitHit) return;
    const tokens = u.totalTokens || (u.input ?? 0) + (u.output ?? 0) + (u.cacheRead ?? 0) + (u.cacheWrite ?? 0);
    r.turnUsage = { total: (r.turnUsage?.total ?? 0) + tokens, costUsd: (r.turnUsage?.costUsd ?? 0) + (u.cost?.total ?? 0) };
    const total = l.used.total + r.turnUsage.total;
    const costUsd = l.used.costUsd + r.turnUsage.costUsd;
    const overTokens = l.tokens !== undefined && total >= l.tokens;
    const overCost = l.costUsd !== undefined && costUsd >= l.costUsd;
    if (!overTokens && !overCost) return;
    r.limitHit = { scope: (overTokens ? l.scope.tokens : l.scope.costUsd) ?? 'agent', total, costUsd, lastResponseTokens: tokens, limitTokens: l.tokens, limitCostUsd: l.costUsd };
    // No further model call: the turn ends now (its agent_end carries the hit).
    void r.runtime.abort().catch(() => undefined);
  }
}

/** Command runtimes: normalized events into the log, the run's end back to the actor. */
const RUNTIME_RECORDED: Partial<Record<AgentRuntimeEvent['kind'], string>> = {
  'turn.start': 'agent.step_started',
  'turn.end': 'agent.step_ended',
  'tool.start': 'agent.tool_started',
  'tool.end': 'agent.tool_ended',
  message: 'agent.message',
  error: 'agent.error',
  protocol_error: 'agent.protocol_error',
};

function summarizeRuntime(e: AgentRuntimeEvent): Record<string, unknown> {
  switch (e.kind) {
    case 'tool.start':
      return { tool: e.data.name, args: e.data.args };
    case 'tool.end':
      return { tool: e.data.name, isError: e.data.isError };
    case 'message':
      return { role: e.data.role, text: e.data.text.slice(0, 2000) };
    case 'error':
      return { error: e.data.message };
    case 'protocol_error':
      return { line: e.data.line.slice(0, 500) };
    default:
      return {};
  }
}

function summarize(e: PiEvent): Record<string, unknown> {
  switch (e.type) {
    case 'tool_execution_start':
      return { tool: e.toolName, args: e.args };
    case 'tool_execution_end':
      return { tool: e.toolName, isError: e.isError };
    case 'message_end': {
      const m = e.message;
      const text = Array.isArray(m.content)
        ? m.content
            .filter((c): c is { type: 'text'; text: string } => (c as { type?: string }).type === 'text')
            .map((c) => c.text)
            .join('')
        : typeof m.content === 'string'
          ? m.content
          : '';
      return { role: m.role, stopReason: m.stopReason, error: m.errorMessage, text: text.slice(0, 2000), usage: m.usage };
    }
    case 'protocol_error':
      return { line: String((e as { line?: string }).line ?? '').slice(0, 500) };
    default:
      return {};
  }
}

