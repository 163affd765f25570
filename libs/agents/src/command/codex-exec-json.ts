import { makeUsage, runtimeEvent, type AgentRuntimeEvent } from '../runtime/agent-runtime';
import { AgentRunError } from '../runtime/errors';
import { cut, isRecord, num, str, textOf } from '../runtime/text';
import type { DialectState } from './dialect-state';

/** Codex items that are tool calls, and the tool name they get. */
const TOOL_ITEMS = new Set(['command_execution', 'file_change', 'mcp_tool_call', 'web_search']);

/**
 * One record of `codex exec --json` as normalized events:
 *
 * - `thread.started` → nothing (remembers the thread id to resume); `turn.started` → `turn.start`
 * - `item.started` of a tool item (`command_execution`, `file_change`, `mcp_tool_call`,
 *   `web_search`) → `tool.start`; `item.completed` of one → `tool.end` (preceded by `tool.start`
 *   when the start was never sent, as for most `file_change`s)
 * - `item.completed` `agent_message` → `message`; `error` item → `error`; reasoning, todo lists,
 *   `item.updated` → nothing
 * - `turn.completed` → `usage` (the thread's running total, through the meter), `turn.end`,
 *   `agent.end`; `turn.failed` → `error`, `turn.end`, `agent.end` (failed)
 * - top-level `error` → `error`
 */
export function normalizeCodexRecord(record: Record<string, unknown>, state: DialectState, at: number): AgentRuntimeEvent[] {
  switch (record.type) {
    case 'thread.started': {
      const threadId = str(record.thread_id);
      if (threadId) state.sessionId = threadId;
      return [];
    }
    case 'turn.started':
      return [runtimeEvent('turn.start', state.sessionId ? { sessionId: state.sessionId } : {}, at)];
    case 'item.started':
      return isRecord(record.item) ? itemStarted(record.item, state, at) : [];
    case 'item.completed':
      return isRecord(record.item) ? itemCompleted(record.item, state, at) : [];
    case 'turn.completed':
      return turnCompleted(record, state, at);
    case 'turn.failed': {
      const message = errorMessage(record.error) ?? 'codex turn failed';
      return [
        runtimeEvent('error', { message, error: new AgentRunError(message, { threadId: state.sessionId }) }, at),
        runtimeEvent('turn.end', { stopReason: 'failed' }, at),
        runtimeEvent('agent.end', { ok: false, reason: 'failed', detail: message, ...(state.sessionId ? { sessionId: state.sessionId } : {}) }, at),
      ];
    }
    case 'error': {
      const message = str(record.message) ?? 'codex reported an error';
      return [runtimeEvent('error', { message, error: new AgentRunError(message, { threadId: state.sessionId }) }, at)];
    }
    default:
      return [];
  }
}

function itemStarted(item: Record<string, unknown>, state: DialectState, at: number): AgentRuntimeEvent[] {
  if (!TOOL_ITEMS.has(str(item.type) ?? '')) return [];
  const id = str(item.id) ?? '';
  if (state.startedTools.has(id)) return [];
  state.startedTools.add(id);
  return [toolStart(item, at)];
}

function itemCompleted(item: Record<string, unknown>, state: DialectState, at: number): AgentRuntimeEvent[] {
  const type = str(item.type) ?? '';
  if (type === 'agent_message') {
    const text = str(item.text) ?? '';
    if (!text) return [];
    state.lastText = text;
    return [runtimeEvent('message', { role: 'assistant', text }, at)];
  }
  if (type === 'error') {
    const message = str(item.message) ?? 'codex reported an error';
    return [runtimeEvent('error', { message, error: new AgentRunError(message, { threadId: state.sessionId, item: item.id }) }, at)];
  }
  if (!TOOL_ITEMS.has(type)) return [];
  const id = str(item.id) ?? '';
  const out: AgentRuntimeEvent[] = [];
  if (!state.startedTools.has(id)) out.push(toolStart(item, at));
  state.startedTools.delete(id);
  const output = cut(toolOutput(item));
  out.push(runtimeEvent('tool.end', { toolCallId: id, name: toolName(item), isError: toolFailed(item), ...(output ? { output } : {}) }, at));
  return out;
}

function turnCompleted(record: Record<string, unknown>, state: DialectState, at: number): AgentRuntimeEvent[] {
  const out: AgentRuntimeEvent[] = [];
  if (isRecord(record.usage)) {
    // input_tokens includes the cached ones (OpenAI's convention); ours excludes them.
    const input = num(record.usage.input_tokens) ?? 0;
    const cached = num(record.usage.cached_input_tokens) ?? 0;
    const reported = makeUsage({ input: Math.max(0, input - cached), output: num(record.usage.output_tokens) ?? 0, cacheRead: cached });
    out.push(runtimeEvent('usage', state.meter.record(reported), at));
  }
  out.push(runtimeEvent('turn.end', { stopReason: 'completed' }, at));
  out.push(
    runtimeEvent(
      'agent.end',
      {
        ok: true,
        reason: 'completed',
        detail: 'completed',
        ...(state.lastText ? { text: state.lastText } : {}),
        ...(state.sessionId ? { sessionId: state.sessionId } : {}),
      },
      at,
    ),
  );
  return out;
}

function toolStart(item: Record<string, unknown>, at: number): AgentRuntimeEvent {
  return runtimeEvent('tool.start', { toolCallId: str(item.id) ?? '', name: toolName(item), args: toolArgs(item) }, at);
}

function toolName(item: Record<string, unknown>): string {
  if (item.type === 'mcp_tool_call') return `${str(item.server) ?? 'mcp'}.${str(item.tool) ?? 'unknown'}`;
  return str(item.type) ?? 'unknown';
}

function toolArgs(item: Record<string, unknown>): Record<string, unknown> {
  switch (item.type) {
    case 'command_execution':
      return { command: item.command };
    case 'file_change':
      return { changes: item.changes };
    case 'mcp_tool_call':
      return isRecord(item.arguments) ? item.arguments : { arguments: item.arguments };
    case 'web_search':
      return { query: item.query };
    default:
      return {};
  }
}

function toolFailed(item: Record<string, unknown>): boolean {
  if (item.status === 'failed' || item.status === 'declined') return true;
  if (item.type === 'command_execution') return typeof item.exit_code === 'number' && item.exit_code !== 0;
  if (item.type === 'mcp_tool_call') return item.error !== undefined && item.error !== null;
  return false;
}

function toolOutput(item: Record<string, unknown>): string {
  switch (item.type) {
    case 'command_execution':
      return str(item.aggregated_output) ?? '';
    case 'file_change':
      return Array.isArray(item.changes)
        ? item.changes.filter(isRecord).map((c) => `${str(c.kind) ?? 'change'} ${str(c.path) ?? '?'}`).join('\n')
        : '';
    case 'mcp_tool_call':
      return errorMessage(item.error) ?? textOf(isRecord(item.result) ? item.result.content : undefined);
    default:
      return '';
  }
}

function errorMessage(error: unknown): string | undefined {
  if (typeof error === 'string') return error;
  return isRecord(error) ? str(error.message) : undefined;
}
