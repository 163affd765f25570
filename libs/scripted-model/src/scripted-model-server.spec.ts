import { SCRIPTED_MODEL_IDENTITY } from './openai-wire';
import { startScriptedModel, type ScriptedModel } from './scripted-model-server';

/** Real HTTP on 127.0.0.1 against the in-process server; nothing mocked. */
describe('startScriptedModel', () => {
  let model: ScriptedModel | undefined;
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  const post = (body: unknown) =>
    fetch(`${model!.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const ask = (content: string, stream = false, extra: Record<string, unknown> = {}) =>
    post({ model: 'scripted', stream, messages: [{ role: 'user', content }], ...extra });

  // Bodies are checked field by field below; `any` keeps those checks short.
  const json = (res: Response): Promise<any> => res.json();

  async function sseEvents(res: Response): Promise<string[]> {
    const text = await res.text();
    return text
      .split('\n\n')
      .filter((block) => block.length > 0)
      .map((block) => {
        expect(block.startsWith('data: ')).toBe(true);
        return block.slice('data: '.length);
      });
  }

  it('lists its models and names itself offline everywhere', async () => {
    model = await startScriptedModel({ script: [{ text: 'hi' }], models: ['m1', 'm2'] });
    expect(model.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await fetch(`${model.url}/models`);
    expect(res.headers.get('x-scripted-model')).toBe(SCRIPTED_MODEL_IDENTITY);
    expect(await json(res)).toEqual({
      object: 'list',
      data: [
        { id: 'm1', object: 'model', created: 0, owned_by: 'scripted model (offline)' },
        { id: 'm2', object: 'model', created: 0, owned_by: 'scripted model (offline)' },
      ],
    });
    const completion = await json(await ask('x'));
    expect(completion.system_fingerprint).toBe('scripted model (offline)');
  });

  it('answers non-streaming requests with text, then tool calls, with usage', async () => {
    model = await startScriptedModel({
      script: [{ text: 'hello', usage: { promptTokens: 7, completionTokens: 3 } }, { toolCalls: [{ name: 'write', arguments: { path: 'a.txt' } }] }],
    });
    const first = await json(await ask('go'));
    expect(first.object).toBe('chat.completion');
    expect(first.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' });
    expect(first.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    const second = await json(await ask('go'));
    expect(second.choices[0].finish_reason).toBe('tool_calls');
    expect(second.choices[0].message.tool_calls).toEqual([
      { id: 'call_scripted_2_0', type: 'function', function: { name: 'write', arguments: '{"path":"a.txt"}' } },
    ]);
    expect(second.usage.total_tokens).toBe(second.usage.prompt_tokens + second.usage.completion_tokens);
    expect(model.requests.map((r) => [r.path, r.stepIndex, r.status, r.stream])).toEqual([
      ['/v1/chat/completions', 0, 200, false],
      ['/v1/chat/completions', 1, 200, false],
    ]);
  });

  it('streams text and tool-call deltas in OpenAI order, then usage and [DONE]', async () => {
    const args = { path: 'src/very/long/file/name.ts', content: 'export const answer = 42;\n' };
    model = await startScriptedModel({
      script: [{ text: 'Writing the file now, hold on.', toolCalls: [{ name: 'write', arguments: args }, { name: 'read', arguments: { path: 'x' } }], usage: { promptTokens: 11, completionTokens: 5 } }],
    });
    const res = await ask('go', true, { stream_options: { include_usage: true } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const data = await sseEvents(res);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('Writing the file now, hold on.');
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    for (const c of chunks) {
      for (const d of c.choices[0]?.delta?.tool_calls ?? []) {
        const call = calls.get(d.index) ?? { args: '' };
        if (d.id) call.id = d.id;
        if (d.function?.name) call.name = d.function.name;
        call.args += d.function?.arguments ?? '';
        calls.set(d.index, call);
      }
    }
    expect([...calls.values()]).toEqual([
      { id: 'call_scripted_1_0', name: 'write', args: JSON.stringify(args) },
      { id: 'call_scripted_1_1', name: 'read', args: '{"path":"x"}' },
    ]);
    const argDeltas = chunks.filter((c) => c.choices[0]?.delta?.tool_calls?.[0]?.index === 0).length;
    expect(argDeltas).toBeGreaterThan(2);
    const finish = chunks.at(-2);
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 } });
  });

  it('fails with the scripted HTTP error in OpenAI error shape', async () => {
    model = await startScriptedModel({
      script: [{ error: { status: 429, message: 'slow down', retryAfterMs: 1500 } }, { error: { status: 500, message: 'boom' } }, { error: { status: 401, message: 'who?' } }],
    });
    const limited = await ask('go', true);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after-ms')).toBe('1500');
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await json(limited)).toEqual({ error: { message: 'slow down', type: 'rate_limit_exceeded', param: null, code: '429' } });
    expect((await ask('go')).status).toBe(500);
    const denied = await ask('go');
    expect(denied.status).toBe(401);
    expect((await json(denied)).error.type).toBe('authentication_error');
  });

  it('plays keyed scripts per marker with separate cursors', async () => {
    model = await startScriptedModel({ script: { scripts: { a: [{ text: 'a0' }, { text: 'a1' }], b: [{ text: 'b0' }] } } });
    const text = async (content: string) => (await json(await ask(content))).choices[0].message.content;
    expect(await text('[script:a] task')).toBe('a0');
    expect(await text('[script:b] task')).toBe('b0');
    expect(await text('[script:a] task')).toBe('a1');
    expect(model.requests.map((r) => r.scriptName)).toEqual(['a', 'b', 'a']);
  });

  it('delays a step, and close() does not wait for a pending delay', async () => {
    model = await startScriptedModel({ script: [{ text: 'late', delayMs: 150 }, { text: 'never', delayMs: 60_000 }] });
    const started = Date.now();
    const res = await ask('x');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect((await json(res)).choices[0].message.content).toBe('late');
    const hanging = ask('x').catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    expect(model.requests).toHaveLength(2);
    const closing = Date.now();
    await model.close();
    model = undefined;
    expect(Date.now() - closing).toBeLessThan(1_000);
    // fetch's TypeError comes from Node's realm, not jest's, so match by name rather than instanceof.
    expect(await hanging).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });

  it('rejects malformed requests, unknown routes and exhausted scripts with 4xx', async () => {
    model = await startScriptedModel({ script: [{ text: 'only' }] });
    const notJson = await fetch(`${model.url}/chat/completions`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect((await post({ model: 'x' })).status).toBe(400);
    expect((await fetch(`${model.url}/embeddings`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await ask('x')).status).toBe(200);
    const exhausted = await ask('x');
    expect(exhausted.status).toBe(400);
    expect((await json(exhausted)).error.message).toContain('has no step 1');
  });

  it('serves a step function', async () => {
    model = await startScriptedModel({ script: ({ index, body }) => ({ text: `#${index} of ${body.messages.length}` }) });
    expect((await json(await ask('x'))).choices[0].message.content).toBe('#0 of 1');
    expect((await json(await ask('x'))).choices[0].message.content).toBe('#1 of 1');
  });
});
