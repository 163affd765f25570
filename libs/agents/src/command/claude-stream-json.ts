import { makeUsage, runtimeEvent, type AgentRuntimeEvent } from '../runtime/agent-runtime';
import { AgentRunError } from '../runtime/errors';
import { cut, isRecord, num, str, textOf } from '../runtime/text';
import type { DialectState } from './dialect-state';

/**
 * One record of `claude -p ... --output-format stream-json --verbose` as normalized events:
 *
 * - `system`/`init` → `turn.start` (and the session id to resume)
 * - `assistant` → `message` for its text blocks, `tool.start` for its `tool_use` blocks (Claude
 *   writes one line per content block, all repeating the API call's usage, so usage is NOT taken
 *   from here)
 * - `user` → `tool.end` for its `tool_result` blocks
 * - `result` → `usage` (the run's `usage` and `total_cost_usd`, through the meter), `error` if
 *   `is_error` or not `success`, `turn.end`, `agent.end`
 *
 * Other types (`stream_event`, other `system` subtypes, newer additions) map to nothing.
 */
export function normalizeClaudeRecord(record: Record<string, unknown>, state: DialectState, at: number): AgentRuntimeEvent[] {
  const sessionId = str(record.session_id);
  if (sessionId) state.sessionId = sessionId;
  switch (record.type) {
    case 'system':
      if (record.subtype !== 'init') return [];
      return [runtimeEvent('turn.start', { ...(sessionId ? { sessionId } : {}), ...(str(record.model) ? { model: str(record.model) } : {}) }, at)];
    case 'assistant':
      return assistant(record, state, at);
    case 'user':
      return toolResults(record, state, at);
    case 'result':
      return result(record, state, at);
    default:
      return [];
  }
}

function assistant(record: Record<string, unknown>, state: DialectState, at: number): AgentRuntimeEvent[] {
  const message = isRecord(record.message) ? record.message : {};
  const content = Array.isArray(message.content) ? message.content : [];
  const model = str(message.model);
  const out: AgentRuntimeEvent[] = [];
  const text = content
    .filter((b): b is Record<string, unknown> => isRecord(b) && b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');
  if (text) {
    state.lastText = text;
    out.push(runtimeEvent('message', { role: 'assistant', text, ...(model ? { model } : {}) }, at));
  }
  for (const block of content) {
    if (!isRecord(block) || block.type !== 'tool_use') continue;
    const toolCallId = str(block.id) ?? '';
    const name = str(block.name) ?? 'unknown';
    state.toolNames.set(toolCallId, name);
    out.push(runtimeEvent('tool.start', { toolCallId, name, args: isRecord(block.input) ? block.input : {} }, at));
  }
  return out;
}

function toolResults(record: Record<string, unknown>, state: DialectState, at: number): AgentRuntimeEvent[] {
  const message = isRecord(record.message) ? record.message : {};
  const content = Array.isArray(message.content) ? message.content : [];
  const out: AgentRuntimeEvent[] = [];
  for (const block of content) {
    if (!isRecord(block) || block.type !== 'tool_result') continue;
    const toolCallId = str(block.tool_use_id) ?? '';
    const output = cut(textOf(block.content));
    out.push(
      runtimeEvent(
        'tool.end',
        { toolCallId, name: state.toolNames.get(toolCallId) ?? 'unknown', isError: block.is_error === true, ...(output ? { output } : {}) },
        at,
      ),
    );
  }
  return out;
}

function result(record: Record<string, unknown>, state: DialectState, at: number): AgentRuntimeEvent[] {
  const out: AgentRuntimeEvent[] = [];
  const usage = isRecord(record.usage) ? record.usage : undefined;
  const cost = num(record.total_cost_usd);
  if (usage || cost !== undefined) {
    const reported = makeUsage({
      input: num(usage?.input_tokens) ?? 0,
      output: num(usage?.output_tokens) ?? 0,
      cacheRead: num(usage?.cache_read_input_tokens) ?? 0,
      cacheWrite: num(usage?.cache_creation_input_tokens) ?? 0,
      costUsd: cost,
    });
    out.push(runtimeEvent('usage', state.meter.record(reported), at));
  }
  const subtype = str(record.subtype) ?? 'unknown';
  const failed = record.is_error === true || subtype !== 'success';
  const text = str(record.result) ?? state.lastText;
  if (failed) {
    const message = `claude run failed (${subtype})${text ? `: ${text}` : ''}`;
    out.push(runtimeEvent('error', { message, error: new AgentRunError(message, { subtype, sessionId: state.sessionId }) }, at));
  }
  out.push(runtimeEvent('turn.end', { stopReason: subtype }, at));
  out.push(
    runtimeEvent(
      'agent.end',
      {
        ok: !failed,
        reason: failed ? 'failed' : 'completed',
        detail: subtype,
        ...(text ? { text } : {}),
        ...(state.sessionId ? { sessionId: state.sessionId } : {}),
      },
      at,
    ),
  );
  return out;
}
