import { AgentProtocolError } from '../pi/errors';
import type { PiEvent, PiMessage, PiUsage } from '../pi/pi-protocol';
import type { AgentRuntimeEvent } from './agent-runtime';
import { normalizePiEvent } from './normalize-pi-event';

const AT = 1_700_000_000_000;
const norm = (event: PiEvent) => normalizePiEvent(event, AT);
const kinds = (events: AgentRuntimeEvent[]) => events.map((e) => e.kind);

function usage(input: number, output: number, extra: Partial<PiUsage> = {}): PiUsage {
  return {
    input,
    output,
    cacheRead: 0,
    cacheWrite: 0,
    totalTokens: input + output,
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
    ...extra,
  };
}

const toolCallMessage: PiMessage = {
  role: 'assistant',
  content: [{ type: 'toolCall', id: 'call_1', name: 'write', arguments: { path: 'hello.txt' } }],
  stopReason: 'toolUse',
  usage: usage(120, 30),
  provider: 'scripted',
  model: 'scripted',
};
const answer: PiMessage = {
  role: 'assistant',
  content: [{ type: 'thinking', thinking: 'hmm' }, { type: 'text', text: 'I wrote hello.txt.' }],
  stopReason: 'stop',
  usage: usage(200, 10, { cacheRead: 50, cacheWrite: 5, totalTokens: 265, cost: { input: 0.001, output: 0.002, cacheRead: 0, cacheWrite: 0, total: 0.003 } }),
  provider: 'scripted',
  model: 'scripted',
};

describe('normalizePiEvent', () => {
  it('maps a whole run (pi event order of a tool call then an answer) to normalized events', () => {
    const run: PiEvent[] = [
      { type: 'agent_start' },
      { type: 'turn_start' },
      { type: 'message_start', message: { role: 'user', content: [{ type: 'text', text: 'Create hello.txt' }] } },
      { type: 'message_end', message: { role: 'user', content: [{ type: 'text', text: 'Create hello.txt' }] } },
      { type: 'message_start', message: toolCallMessage },
      { type: 'message_update', message: toolCallMessage, assistantMessageEvent: { type: 'toolcall_delta' } },
      { type: 'message_end', message: toolCallMessage },
      { type: 'tool_execution_start', toolCallId: 'call_1', toolName: 'write', args: { path: 'hello.txt', content: 'hi' } },
      { type: 'tool_execution_update', toolCallId: 'call_1', toolName: 'write', args: {}, partialResult: {} },
      { type: 'tool_execution_end', toolCallId: 'call_1', toolName: 'write', result: { content: [{ type: 'text', text: 'Wrote 2 bytes' }], details: {} }, isError: false },
      { type: 'message_end', message: { role: 'toolResult', content: [{ type: 'text', text: 'Wrote 2 bytes' }] } },
      { type: 'turn_end', message: toolCallMessage, toolResults: [] },
      { type: 'turn_start' },
      { type: 'message_end', message: answer },
      { type: 'turn_end', message: answer, toolResults: [] },
      { type: 'agent_end', messages: [toolCallMessage, answer] },
    ];
    const events = run.flatMap(norm);
    expect(kinds(events)).toEqual([
      'turn.start',
      'message',
      'usage',
      'tool.start',
      'tool.end',
      'turn.end',
      'turn.start',
      'message',
      'usage',
      'turn.end',
      'agent.end',
    ]);
    expect(events.every((e) => e.at === AT)).toBe(true);
    expect(events[1].data).toEqual({ role: 'user', text: 'Create hello.txt' });
    expect(events[2].data).toEqual({ inputTokens: 120, outputTokens: 30, cacheRead: 0, cacheWrite: 0, costUsd: 0, totalTokens: 150 });
    expect(events[3].data).toEqual({ toolCallId: 'call_1', name: 'write', args: { path: 'hello.txt', content: 'hi' } });
    expect(events[4].data).toEqual({ toolCallId: 'call_1', name: 'write', isError: false, output: 'Wrote 2 bytes' });
    expect(events[5].data).toEqual({ stopReason: 'toolUse' });
    expect(events[7].data).toEqual({ role: 'assistant', text: 'I wrote hello.txt.', model: 'scripted' });
    expect(events[8].data).toEqual({ inputTokens: 200, outputTokens: 10, cacheRead: 50, cacheWrite: 5, costUsd: 0.003, totalTokens: 265 });
    expect(events[10].data).toEqual({ ok: true, reason: 'completed', detail: 'stop', text: 'I wrote hello.txt.' });
  });

  it('turns a failed model call into usage + error, and the run end into failed', () => {
    const failed: PiMessage = { role: 'assistant', content: [], stopReason: 'error', errorMessage: '500 upstream exploded', usage: usage(0, 0), model: 'scripted' };
    const events = norm({ type: 'message_end', message: failed });
    expect(kinds(events)).toEqual(['usage', 'error']);
    const error = events[1];
    expect(error.kind === 'error' && error.data.error.toJSON()).toMatchObject({ code: 'agent.run_failed', retryable: true, message: '500 upstream exploded' });
    expect(error.data).toMatchObject({ message: '500 upstream exploded' });
    expect(norm({ type: 'agent_end', messages: [failed] })[0].data).toEqual({ ok: false, reason: 'failed', detail: 'error: 500 upstream exploded' });
  });

  it('an aborted run ends as aborted; a run without assistant messages as completed', () => {
    const aborted: PiMessage = { role: 'assistant', content: [{ type: 'text', text: 'partial' }], stopReason: 'aborted' };
    expect(norm({ type: 'agent_end', messages: [aborted] })[0].data).toEqual({ ok: false, reason: 'aborted', detail: 'aborted', text: 'partial' });
    expect(norm({ type: 'agent_end', messages: [] })[0].data).toEqual({ ok: true, reason: 'completed' });
  });

  it('marks pi auto-retry as an error that will be retried; extension errors are errors', () => {
    const [retry] = norm({ type: 'auto_retry_start', attempt: 1, maxAttempts: 2, delayMs: 20, errorMessage: '500 upstream exploded' });
    expect(retry).toMatchObject({ kind: 'error', data: { message: '500 upstream exploded', willRetry: true } });
    const [ext] = norm({ type: 'extension_error', extensionPath: '/x.ts', event: 'tool_call', error: 'boom' });
    expect(ext).toMatchObject({ kind: 'error', data: { message: expect.stringContaining('boom') } });
  });

  it('reports failing tools, passes protocol errors through, and drops bookkeeping events', () => {
    const [end] = norm({ type: 'tool_execution_end', toolCallId: 'c', toolName: 'bash', result: { content: [{ type: 'text', text: 'exit 1' }] }, isError: true });
    expect(end.data).toEqual({ toolCallId: 'c', name: 'bash', isError: true, output: 'exit 1' });
    const error = new AgentProtocolError('pi wrote not JSON on stdout', {});
    expect(norm({ type: 'protocol_error', error, line: 'WARN' })).toEqual([{ kind: 'protocol_error', at: AT, data: { error, line: 'WARN' } }]);
    const ignored: PiEvent[] = [
      { type: 'agent_start' },
      { type: 'queue_update', steering: [], followUp: [] },
      { type: 'compaction_start', reason: 'threshold' },
      { type: 'auto_retry_end', success: true, attempt: 1 },
      { type: 'unknown_event', raw: { type: 'brand_new' } },
      { type: 'message_end', message: { role: 'assistant', content: [] } },
      { type: 'message_end', message: { role: 'bashExecution', content: 'ls' } },
    ];
    expect(ignored.flatMap(norm)).toEqual([]);
  });

  it('cuts long tool output to 16 KB', () => {
    const [end] = norm({ type: 'tool_execution_end', toolCallId: 'c', toolName: 'read', result: { content: [{ type: 'text', text: 'x'.repeat(20_000) }] }, isError: false });
    expect(end.kind === 'tool.end' && end.data.output?.length).toBe(16 * 1024 + 1);
  });
});
