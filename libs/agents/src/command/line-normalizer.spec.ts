import type { AgentRuntimeEvent } from '../runtime/agent-runtime';
import { LineNormalizer } from './line-normalizer';

const AT = 1_700_000_000_000;
const SESSION = '8f1c2a6e-5b7d-4c1e-9a0b-3d2e1f4a5b6c';
const THREAD = '0199a213-81c0-7800-8aa1-bbab2a035a53';

function feed(normalizer: LineNormalizer, lines: Array<string | object>): AgentRuntimeEvent[] {
  return lines.flatMap((line) => normalizer.push(typeof line === 'string' ? line : JSON.stringify(line), AT, { pid: 42 }));
}
const kinds = (events: AgentRuntimeEvent[]) => events.map((e) => e.kind);

/** One Claude Code run as `claude -p --output-format stream-json --verbose` prints it. */
function claudeRun(opts: { cost: number; subtype?: string; isError?: boolean } = { cost: 0.0125 }): object[] {
  const usage = { input_tokens: 4, cache_creation_input_tokens: 1200, cache_read_input_tokens: 0, output_tokens: 60, service_tier: 'standard' };
  const msg = { id: 'msg_01', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', stop_reason: null, usage };
  return [
    { type: 'system', subtype: 'init', cwd: '/w', session_id: SESSION, tools: ['Bash', 'Write'], mcp_servers: [], model: 'claude-sonnet-4-5-20250929', permissionMode: 'default', apiKeySource: 'none', uuid: 'u0' },
    { type: 'assistant', message: { ...msg, content: [{ type: 'thinking', thinking: 'plan', signature: 's' }] }, parent_tool_use_id: null, session_id: SESSION },
    { type: 'assistant', message: { ...msg, content: [{ type: 'text', text: "I'll create hello.txt." }] }, parent_tool_use_id: null, session_id: SESSION },
    { type: 'assistant', message: { ...msg, content: [{ type: 'tool_use', id: 'toolu_01', name: 'Write', input: { file_path: '/w/hello.txt', content: 'hi\n' } }] }, parent_tool_use_id: null, session_id: SESSION },
    { type: 'user', message: { role: 'user', content: [{ tool_use_id: 'toolu_01', type: 'tool_result', content: 'File created successfully at: /w/hello.txt' }] }, parent_tool_use_id: null, session_id: SESSION },
    { type: 'assistant', message: { ...msg, id: 'msg_02', content: [{ type: 'tool_use', id: 'toolu_02', name: 'Bash', input: { command: 'cat missing' } }] }, session_id: SESSION },
    { type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_02', is_error: true, content: [{ type: 'text', text: 'cat: missing: No such file' }] }] }, session_id: SESSION },
    { type: 'assistant', message: { ...msg, id: 'msg_03', content: [{ type: 'text', text: 'Done.' }] }, session_id: SESSION },
    {
      type: 'result',
      subtype: opts.subtype ?? 'success',
      is_error: opts.isError ?? false,
      duration_ms: 5230,
      num_turns: 3,
      result: 'Done.',
      session_id: SESSION,
      total_cost_usd: opts.cost,
      usage: { input_tokens: 12, cache_creation_input_tokens: 1200, cache_read_input_tokens: 2400, output_tokens: 80, server_tool_use: { web_search_requests: 0 } },
    },
  ];
}

/** One `codex exec --json` run; `usage` is the thread's running total. */
function codexRun(usage: { input_tokens: number; cached_input_tokens: number; output_tokens: number }): object[] {
  return [
    { type: 'thread.started', thread_id: THREAD },
    { type: 'turn.started' },
    { type: 'item.completed', item: { id: 'item_0', type: 'reasoning', text: '**Looking around**' } },
    { type: 'item.started', item: { id: 'item_1', type: 'command_execution', command: "bash -lc 'ls'", aggregated_output: '', exit_code: null, status: 'in_progress' } },
    { type: 'item.completed', item: { id: 'item_1', type: 'command_execution', command: "bash -lc 'ls'", aggregated_output: 'README.md\n', exit_code: 0, status: 'completed' } },
    { type: 'item.started', item: { id: 'item_2', type: 'command_execution', command: "bash -lc 'cat nope'", aggregated_output: '', exit_code: null, status: 'in_progress' } },
    { type: 'item.updated', item: { id: 'item_9', type: 'todo_list', items: [{ text: 'x', completed: false }] } },
    { type: 'item.completed', item: { id: 'item_2', type: 'command_execution', command: "bash -lc 'cat nope'", aggregated_output: 'cat: nope: No such file\n', exit_code: 1, status: 'failed' } },
    { type: 'item.completed', item: { id: 'item_3', type: 'file_change', changes: [{ path: '/w/hello.txt', kind: 'add' }, { path: '/w/README.md', kind: 'update' }], status: 'completed' } },
    { type: 'item.started', item: { id: 'item_4', type: 'mcp_tool_call', server: 'docs', tool: 'search', arguments: { q: 'jsonl' }, status: 'in_progress' } },
    { type: 'item.completed', item: { id: 'item_4', type: 'mcp_tool_call', server: 'docs', tool: 'search', arguments: { q: 'jsonl' }, result: { content: [{ type: 'text', text: 'found' }] }, status: 'completed' } },
    { type: 'item.completed', item: { id: 'item_5', type: 'agent_message', text: 'Created hello.txt.' } },
    { type: 'turn.completed', usage },
  ];
}

describe('LineNormalizer (claude-stream-json)', () => {
  it('normalizes a run: init, text, tool calls and results (named), result with usage and cost', () => {
    const n = new LineNormalizer('claude-stream-json');
    n.beginRun(false);
    const events = feed(n, claudeRun());
    expect(kinds(events)).toEqual(['turn.start', 'message', 'tool.start', 'tool.end', 'tool.start', 'tool.end', 'message', 'usage', 'turn.end', 'agent.end']);
    expect(events[0].data).toEqual({ sessionId: SESSION, model: 'claude-sonnet-4-5-20250929' });
    expect(events[1].data).toEqual({ role: 'assistant', text: "I'll create hello.txt.", model: 'claude-sonnet-4-5-20250929' });
    expect(events[2].data).toEqual({ toolCallId: 'toolu_01', name: 'Write', args: { file_path: '/w/hello.txt', content: 'hi\n' } });
    expect(events[3].data).toEqual({ toolCallId: 'toolu_01', name: 'Write', isError: false, output: 'File created successfully at: /w/hello.txt' });
    expect(events[5].data).toEqual({ toolCallId: 'toolu_02', name: 'Bash', isError: true, output: 'cat: missing: No such file' });
    // Usage comes from the result only (assistant lines repeat their API call's usage per block).
    expect(events[7].data).toEqual({ inputTokens: 12, outputTokens: 80, cacheRead: 2400, cacheWrite: 1200, costUsd: 0.0125, totalTokens: 3692 });
    expect(events[8].data).toEqual({ stopReason: 'success' });
    expect(events[9].data).toEqual({ ok: true, reason: 'completed', detail: 'success', text: 'Done.', sessionId: SESSION });
    expect(n.sessionId).toBe(SESSION);
    expect(events.every((e) => e.at === AT)).toBe(true);
  });

  it('sums tokens per run and takes cost as the session total across resumed runs', () => {
    const n = new LineNormalizer('claude-stream-json');
    n.beginRun(false);
    feed(n, claudeRun({ cost: 0.0125 }));
    n.beginRun(true);
    const second = feed(n, claudeRun({ cost: 0.03 }));
    const usage = second.find((e) => e.kind === 'usage');
    expect(usage?.kind === 'usage' && usage.data.costUsd).toBeCloseTo(0.0175, 10);
    expect(n.totalUsage).toMatchObject({ inputTokens: 24, outputTokens: 160, cacheRead: 4800, cacheWrite: 2400, totalTokens: 7384 });
    expect(n.totalUsage.costUsd).toBeCloseTo(0.03, 10);
  });

  it('an error result is an error event and a failed end', () => {
    const n = new LineNormalizer('claude-stream-json');
    const events = feed(n, claudeRun({ cost: 0.001, subtype: 'error_max_turns', isError: true }));
    expect(kinds(events).slice(-4)).toEqual(['usage', 'error', 'turn.end', 'agent.end']);
    const error = events.find((e) => e.kind === 'error');
    expect(error?.kind === 'error' && error.data.error.toJSON()).toMatchObject({ code: 'agent.run_failed', details: { subtype: 'error_max_turns', sessionId: SESSION } });
    expect(events.at(-1)?.data).toMatchObject({ ok: false, reason: 'failed', detail: 'error_max_turns' });
  });

  it('skips unknown types and other system subtypes; a new conversation forgets the session', () => {
    const n = new LineNormalizer('claude-stream-json', { sessionId: 'given' });
    expect(n.sessionId).toBe('given');
    expect(feed(n, [{ type: 'stream_event', event: { type: 'content_block_delta' } }, { type: 'system', subtype: 'compact_boundary' }, { type: 'rate_limit_event' }])).toEqual([]);
    n.beginRun(false);
    expect(n.sessionId).toBeUndefined();
  });
});

describe('LineNormalizer (codex-exec-json)', () => {
  it('normalizes a run: tool items (with a start for a bare file_change), message, usage, end', () => {
    const n = new LineNormalizer('codex-exec-json');
    n.beginRun(false);
    const events = feed(n, codexRun({ input_tokens: 1200, cached_input_tokens: 800, output_tokens: 90 }));
    expect(kinds(events)).toEqual([
      'turn.start',
      'tool.start',
      'tool.end',
      'tool.start',
      'tool.end',
      'tool.start',
      'tool.end',
      'tool.start',
      'tool.end',
      'message',
      'usage',
      'turn.end',
      'agent.end',
    ]);
    expect(events[0].data).toEqual({ sessionId: THREAD });
    expect(events[1].data).toEqual({ toolCallId: 'item_1', name: 'command_execution', args: { command: "bash -lc 'ls'" } });
    expect(events[2].data).toEqual({ toolCallId: 'item_1', name: 'command_execution', isError: false, output: 'README.md\n' });
    expect(events[4].data).toMatchObject({ toolCallId: 'item_2', isError: true, output: 'cat: nope: No such file\n' });
    expect(events[5].data).toEqual({ toolCallId: 'item_3', name: 'file_change', args: { changes: [{ path: '/w/hello.txt', kind: 'add' }, { path: '/w/README.md', kind: 'update' }] } });
    expect(events[6].data).toEqual({ toolCallId: 'item_3', name: 'file_change', isError: false, output: 'add /w/hello.txt\nupdate /w/README.md' });
    expect(events[7].data).toEqual({ toolCallId: 'item_4', name: 'docs.search', args: { q: 'jsonl' } });
    expect(events[8].data).toEqual({ toolCallId: 'item_4', name: 'docs.search', isError: false, output: 'found' });
    expect(events[9].data).toEqual({ role: 'assistant', text: 'Created hello.txt.' });
    // input_tokens includes the cached ones; ours does not.
    expect(events[10].data).toEqual({ inputTokens: 400, outputTokens: 90, cacheRead: 800, totalTokens: 1290 });
    expect(events[12].data).toEqual({ ok: true, reason: 'completed', detail: 'completed', text: 'Created hello.txt.', sessionId: THREAD });
  });

  it('turns the thread running totals into per-run deltas across resumed runs', () => {
    const n = new LineNormalizer('codex-exec-json');
    n.beginRun(false);
    feed(n, codexRun({ input_tokens: 1200, cached_input_tokens: 800, output_tokens: 90 }));
    n.beginRun(true);
    const second = feed(n, codexRun({ input_tokens: 2400, cached_input_tokens: 1600, output_tokens: 180 }));
    expect(second.find((e) => e.kind === 'usage')?.data).toEqual({ inputTokens: 400, outputTokens: 90, cacheRead: 800, totalTokens: 1290 });
    expect(n.totalUsage).toEqual({ inputTokens: 800, outputTokens: 180, cacheRead: 1600, totalTokens: 2580 });
  });

  it('turn.failed: error, turn.end, failed agent.end; a top-level error is an error event', () => {
    const n = new LineNormalizer('codex-exec-json');
    const events = feed(n, [
      { type: 'thread.started', thread_id: THREAD },
      { type: 'turn.started' },
      { type: 'error', message: 'Reconnecting... 1/5' },
      { type: 'item.completed', item: { id: 'item_0', type: 'error', message: 'command timed out' } },
      { type: 'turn.failed', error: { message: 'stream disconnected before completion' } },
    ]);
    expect(kinds(events)).toEqual(['turn.start', 'error', 'error', 'error', 'turn.end', 'agent.end']);
    expect(events.filter((e) => e.kind === 'error').map((e) => e.kind === 'error' && e.data.message)).toEqual([
      'Reconnecting... 1/5',
      'command timed out',
      'stream disconnected before completion',
    ]);
    expect(events.at(-1)?.data).toEqual({ ok: false, reason: 'failed', detail: 'stream disconnected before completion', sessionId: THREAD });
  });
});

describe('LineNormalizer garbage', () => {
  it.each(['claude-stream-json', 'codex-exec-json'] as const)('%s: non-records become protocol_error events, blank lines nothing', (dialect) => {
    const n = new LineNormalizer(dialect);
    const events = feed(n, ['Loading... not json', '[1,2,3]', 'null', '"text"', '{"no_type":1}', '{"type":42}', '   ', '', '{"type":"result","subtype":"succ']);
    expect(kinds(events)).toEqual(Array(7).fill('protocol_error'));
    const first = events[0];
    expect(first.kind === 'protocol_error' && first.data.line).toBe('Loading... not json');
    expect(first.kind === 'protocol_error' && first.data.error.toJSON()).toMatchObject({
      code: 'agent.protocol_error',
      retryable: false,
      details: { pid: 42, dialect, reason: expect.stringContaining('not JSON') },
    });
    expect(events.map((e) => e.kind === 'protocol_error' && e.data.error.details.reason)).toEqual([
      expect.stringContaining('not JSON'),
      'a JSON value that is not an object',
      'a JSON value that is not an object',
      'a JSON value that is not an object',
      'an object without a string "type"',
      'an object without a string "type"',
      expect.stringContaining('not JSON'),
    ]);
  });

  it('cuts a huge garbage line to 2,000 characters in the event', () => {
    const [event] = new LineNormalizer('claude-stream-json').push('x'.repeat(5_000));
    expect(event.kind === 'protocol_error' && event.data.line.length).toBe(2_001);
  });
});
