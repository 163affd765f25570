import type { PiEvent, PiMessage } from '../pi/pi-protocol';
import { makeUsage, runtimeEvent, type AgentRuntimeEvent, type RunEndReason } from './agent-runtime';
import { AgentRunError } from './errors';
import { cut, num, textOf } from './text';

/**
 * pi's RPC events as normalized runtime events (0..n per pi event). Streaming deltas
 * (`message_update`, `tool_execution_update`) and bookkeeping (`agent_start`, `queue_update`,
 * compaction, unknown events) map to nothing; everything needed to follow a run does:
 *
 * - `turn_start` / `turn_end` → `turn.start` / `turn.end` (one per model call)
 * - `message_end` of a user message → `message`; of an assistant message → `message` (if it has
 *   text), `usage` (its tokens and cost) and, for `stopReason: "error"`, `error`
 * - `tool_execution_start` / `_end` → `tool.start` / `tool.end`
 * - `agent_end` → `agent.end` (ok unless the last assistant message erred or was aborted)
 * - `auto_retry_start` → `error` with `willRetry: true`; `extension_error` → `error`
 * - `protocol_error` → `protocol_error`
 */
export function normalizePiEvent(event: PiEvent, at: number = Date.now()): AgentRuntimeEvent[] {
  switch (event.type) {
    case 'turn_start':
      return [runtimeEvent('turn.start', {}, at)];
    case 'turn_end':
      return [runtimeEvent('turn.end', event.message?.stopReason ? { stopReason: event.message.stopReason } : {}, at)];
    case 'message_end':
      return messageEnd(event.message, at);
    case 'tool_execution_start':
      return [runtimeEvent('tool.start', { toolCallId: event.toolCallId, name: event.toolName, args: event.args ?? {} }, at)];
    case 'tool_execution_end': {
      const output = cut(textOf(event.result));
      return [runtimeEvent('tool.end', { toolCallId: event.toolCallId, name: event.toolName, isError: event.isError === true, ...(output ? { output } : {}) }, at)];
    }
    case 'agent_end':
      return [agentEnd(event.messages ?? [], at)];
    case 'auto_retry_start': {
      const message = event.errorMessage;
      const error = new AgentRunError(message, { attempt: event.attempt, maxAttempts: event.maxAttempts, delayMs: event.delayMs });
      return [runtimeEvent('error', { message, error, willRetry: true }, at)];
    }
    case 'extension_error': {
      const message = `pi extension ${event.extensionPath} failed on ${event.event}: ${event.error}`;
      return [runtimeEvent('error', { message, error: new AgentRunError(message, { extensionPath: event.extensionPath, event: event.event }) }, at)];
    }
    case 'protocol_error':
      return [runtimeEvent('protocol_error', { error: event.error, line: event.line }, at)];
    default:
      return [];
  }
}

function messageEnd(message: PiMessage, at: number): AgentRuntimeEvent[] {
  const text = textOf(message.content);
  if (message.role === 'user') return text ? [runtimeEvent('message', { role: 'user', text }, at)] : [];
  if (message.role !== 'assistant') return [];
  const out: AgentRuntimeEvent[] = [];
  if (text) out.push(runtimeEvent('message', { role: 'assistant', text, ...(message.model ? { model: message.model } : {}) }, at));
  const usage = message.usage;
  if (usage) {
    out.push(
      runtimeEvent(
        'usage',
        makeUsage({
          input: num(usage.input) ?? 0,
          output: num(usage.output) ?? 0,
          cacheRead: num(usage.cacheRead) ?? 0,
          cacheWrite: num(usage.cacheWrite) ?? 0,
          costUsd: num(usage.cost?.total) ?? 0,
        }),
        at,
      ),
    );
  }
  if (message.stopReason === 'error') {
    const errorMessage = message.errorMessage ?? 'the model call failed';
    const error = new AgentRunError(errorMessage, { provider: message.provider, model: message.model });
    out.push(runtimeEvent('error', { message: errorMessage, error }, at));
  }
  return out;
}

function agentEnd(messages: PiMessage[], at: number): AgentRuntimeEvent {
  const last = messages.filter((m) => m.role === 'assistant').at(-1);
  const stopReason = last?.stopReason;
  const reason: RunEndReason = stopReason === 'error' ? 'failed' : stopReason === 'aborted' ? 'aborted' : 'completed';
  const text = last ? textOf(last.content) : '';
  return runtimeEvent(
    'agent.end',
    {
      ok: reason === 'completed',
      reason,
      ...(stopReason ? { detail: stopReason === 'error' && last?.errorMessage ? `error: ${last.errorMessage}` : stopReason } : {}),
      ...(text ? { text } : {}),
    },
    at,
  );
}
