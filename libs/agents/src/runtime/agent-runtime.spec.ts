import { EventHub } from '../pi/event-hub';
import { addUsage, emptyUsage, makeUsage, runtimeEvent, waitForAgentEnd, type AgentRuntimeEvent, type RuntimeExit } from './agent-runtime';

describe('usage helpers', () => {
  it('makeUsage computes totalTokens from all four token fields and leaves absent fields out', () => {
    expect(makeUsage({ input: 10, output: 5 })).toEqual({ inputTokens: 10, outputTokens: 5, totalTokens: 15 });
    expect(makeUsage({ input: 10, output: 5, cacheRead: 100, cacheWrite: 20, costUsd: 0.5 })).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      cacheRead: 100,
      cacheWrite: 20,
      costUsd: 0.5,
      totalTokens: 135,
    });
  });

  it('addUsage sums, keeping an optional field absent only when both sides lack it', () => {
    const a = makeUsage({ input: 1, output: 2, cacheRead: 3 });
    const b = makeUsage({ input: 10, output: 20, costUsd: 0.25 });
    expect(addUsage(a, b)).toEqual({ inputTokens: 11, outputTokens: 22, cacheRead: 3, costUsd: 0.25, totalTokens: 36 });
    expect(addUsage(emptyUsage(), emptyUsage())).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
  });
});

describe('waitForAgentEnd', () => {
  function fakeRuntime() {
    const hub = new EventHub<AgentRuntimeEvent>();
    let finish!: (exit: RuntimeExit) => void;
    const exited = new Promise<RuntimeExit>((resolve) => (finish = resolve));
    return { name: 'fake', hub, finish, exited, onEvent: (l: (e: AgentRuntimeEvent) => void) => hub.subscribe(l) };
  }

  it('resolves with the next matching agent.end', async () => {
    const rt = fakeRuntime();
    const waiting = waitForAgentEnd(rt, { timeoutMs: 1_000, where: (e) => e.data.ok });
    rt.hub.emit(runtimeEvent('turn.start', {}));
    rt.hub.emit(runtimeEvent('agent.end', { ok: false, reason: 'failed' }));
    rt.hub.emit(runtimeEvent('agent.end', { ok: true, reason: 'completed', text: 'done' }));
    await expect(waiting).resolves.toMatchObject({ kind: 'agent.end', data: { ok: true, text: 'done' } });
  });

  it('rejects with agent.timeout at the deadline', async () => {
    const rt = fakeRuntime();
    const started = Date.now();
    await expect(waitForAgentEnd(rt, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'agent.timeout', details: { timeoutMs: 50 } });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('rejects with agent.process_exited when the runtime finishes first', async () => {
    const rt = fakeRuntime();
    const waiting = waitForAgentEnd(rt, { timeoutMs: 1_000 });
    rt.finish({ code: 0, signal: null });
    await expect(waiting).rejects.toMatchObject({ code: 'agent.process_exited' });
  });
});
