/**
 * Custom effects through the outbox across a crash. Real: Redis, PostgreSQL, two runtimes in this
 * process. The first instance loses Redis (its lease lapses, as a dead instance's) while its effect
 * executor hangs, before or after doing the work; the second takes the shard over, runs the
 * stored outbox again with the same effect ids and only acknowledges the redelivered message.
 */
import type { ActorDefinition, CustomEffect } from '@godel/actors';
import { createTestEnv, type TestEnv } from '@godel/testing';
import { buildRuntime, type BuiltRuntime } from '../../apps/godel/src';

const ledger: ActorDefinition<{ n: number }> = {
  kind: 'ledger',
  initialState: () => ({ n: 0 }),
  receive(s, msg, ctx) {
    if (msg.type === 'get') {
      ctx.reply(s);
      return s;
    }
    ctx.effect('ledger.write', { n: s.n + 1 });
    return { n: s.n + 1 };
  },
};

/** Asks for work by an effect whose executor tells the answer back: counts answers and their senders. */
const echo: ActorDefinition<{ answers: Array<{ from?: string; id: string }> }> = {
  kind: 'echo',
  initialState: () => ({ answers: [] }),
  receive(s, msg, ctx) {
    if (msg.type === 'go') ctx.effect('echo.work', {});
    if (msg.type === 'answer') return { answers: [...s.answers, { from: msg.envelope.from, id: msg.envelope.id }] };
    ctx.reply(s);
    return s;
  },
};

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('custom effects across a crash', () => {
  let env: TestEnv;
  const runtimes: BuiltRuntime[] = [];
  beforeEach(async () => {
    env = await createTestEnv({ shardCount: 2, leaseTtlMs: 2000 });
  });
  afterEach(async () => {
    // A crashed instance's close may never finish (its Redis is gone): bounded.
    for (const rt of runtimes.splice(0)) await Promise.race([rt.close(500).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    await env.cleanup();
  });

  function runtime(): BuiltRuntime {
    const rt = buildRuntime({ redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: env.config.runtime, definitions: [ledger] });
    runtimes.push(rt);
    return rt;
  }

  for (const when of ['before', 'after'] as const) {
    it(`instance gone ${when} the effect ran: the next owner runs it with the same id, the message is handled once`, async () => {
      // What an idempotent executor keeps: one write per effect id; `calls` counts every execution.
      const written = new Map<string, unknown>();
      const calls: CustomEffect[] = [];
      let hung: ((v: void) => void) | undefined;
      const a = runtime();
      a.system.registerEffect('ledger.write', async (e) => {
        calls.push(e);
        if (when === 'after') written.set(e.id, e.payload);
        await new Promise<void>((r) => (hung = r)); // the instance dies here
      });
      await a.system.start();
      await a.system.tell('ledger/x', 'inc', {});
      await waitFor(() => calls.length === 1);
      // The crash: the instance loses Redis (no renewal, no ack); its lease lapses.
      a.redis.disconnect();

      const b = runtime();
      b.system.registerEffect('ledger.write', async (e) => {
        calls.push(e);
        if (!written.has(e.id)) written.set(e.id, e.payload);
      });
      await b.system.start();
      await waitFor(() => calls.length === 2);
      const state = await b.system.ask<{ n: number }>('ledger/x', 'get', {}, 10000);
      hung?.();

      expect(state.n).toBe(1);
      expect(calls.map((c) => c.id)).toEqual([calls[0].id, calls[0].id]);
      expect(calls[0].id).toMatch(/^ledger\/x@\d+-\d+#0$/);
      expect([...written.entries()]).toEqual([[calls[0].id, { n: 1 }]]);
    }, 60000);
  }

  it('an executor tells its actor the answer (a round trip): from the actor, once, though the effect ran again after telling', async () => {
    const runs: string[] = [];
    const rt = buildRuntime({ redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: env.config.runtime, definitions: [echo] });
    runtimes.push(rt);
    rt.system.registerEffect('echo.work', async (e) => {
      runs.push(e.id);
      await e.tell(e.from, 'answer', { effect: e.id });
      if (runs.length === 1) throw new Error('fault: the instance died after the answer was sent, before the effect was marked done');
    });
    await rt.system.start();
    await rt.system.tell('echo/x', 'go', {});
    await waitFor(() => runs.length >= 2);
    await waitFor(async () => (await rt.system.ask<{ answers: unknown[] }>('echo/x', 'get', {}, 10000)).answers.length > 0);
    await new Promise((r) => setTimeout(r, 500)); // a second answer, if one had been sent, lands meanwhile
    const s = await rt.system.ask<{ answers: Array<{ from?: string; id: string }> }>('echo/x', 'get', {}, 10000);
    expect(runs).toEqual([runs[0], runs[0]]);
    expect(s.answers).toEqual([{ from: 'echo/x', id: `${runs[0]}/1` }]);
  }, 60000);
});
