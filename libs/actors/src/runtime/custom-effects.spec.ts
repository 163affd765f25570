import { actorId } from '../actor-id';
import type { ActorDefinition, CustomEffect, Effect } from '../behavior';
import { makeEnvelope } from '../envelope';
import type { AckItem, StateWrite, StoredState } from '../ports';
import { FakeClock } from '../supervision/clock';
import { OneForOneStrategy } from '../supervision/one-for-one';
import { Activation, type ActivationHost } from './activation';
import { TurnContext } from './turn-context';

/** A host that records commits, effects (run through the kind's executors) and acks in one timeline. */
function recordingHost(stored?: StoredState) {
  const timeline: string[] = [];
  const acks: AckItem[] = [];
  const host: ActivationHost = {
    clock: new FakeClock(1000),
    load: async () => stored,
    commit: async (w: StateWrite) => void timeline.push(`commit v${w.version} outbox=${w.outbox.length}`),
    runEffects: async (from, effects: Effect[]) => {
      for (const e of effects) {
        if (e.kind !== 'effect') continue;
        await from.def.effects![e.type]({ id: e.id, type: e.type, payload: e.payload, from: from.address, tell: async () => undefined });
      }
    },
    ack: (_a, item) => void acks.push(item),
    reply: () => undefined,
    sendToSelf: () => undefined,
    settled: () => undefined,
    idle: () => undefined,
    fenced: () => undefined,
    event: () => undefined,
    strategyFor: () => new OneForOneStrategy({ intensity: { maxRestarts: 10, withinMs: 1000 }, backoff: { initialMs: 0, maxMs: 0, multiplier: 1, jitter: 0 } }),
    idleTimeoutMs: () => 60_000,
    effectKnown: (def, type) => def.effects?.[type] !== undefined,
  };
  return { host, timeline, acks };
}

function ledgerActor(seen: CustomEffect[], timeline: string[]): ActorDefinition<{ n: number }> {
  return {
    kind: 'ledger',
    initialState: () => ({ n: 0 }),
    maxAttempts: 1,
    receive(s, msg, ctx) {
      if (msg.type === 'bad') ctx.effect('nobody.runs.this', {});
      ctx.tell('ledger/other', 'hello', {});
      ctx.effect('ledger.write', { n: s.n + 1, at: ctx.now() });
      ctx.effect('ledger.write', { n: s.n + 2, at: ctx.now() });
      return { n: s.n + 2 };
    },
    effects: {
      'ledger.write': async (e) => {
        timeline.push(`effect ${e.id}`);
        seen.push(e);
      },
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('custom effects through the outbox', () => {
  it('collects ctx.effect with deterministic ids in the turn, numbered with the other effects', () => {
    const env = makeEnvelope('ledger/a', 'go', {});
    const make = () => new TurnContext(actorId('ledger', 'a'), 'ledger/a', 1, env, '5-0', () => 42, (t) => t === 'x');
    const a = make();
    a.tell('ledger/b', 'hi', {});
    expect(a.effect('x', { v: 1 })).toBe('ledger/a@5-0#1');
    expect(a.effects[1]).toEqual({ kind: 'effect', type: 'x', payload: { v: 1 }, id: 'ledger/a@5-0#1' });
    // The same turn replayed gives the same ids.
    const b = make();
    b.tell('ledger/b', 'hi', {});
    expect(b.effect('x', { v: 1 })).toBe(a.effects[1].kind === 'effect' ? a.effects[1].id : '');
    expect(() => b.effect('y', {})).toThrow(expect.objectContaining({ code: 'effect.unknown_type' }));
  });

  it('runs effects after the state commits and before the ack, with the turn clock', async () => {
    const seen: CustomEffect[] = [];
    const { host, timeline, acks } = recordingHost();
    const def = ledgerActor(seen, timeline);
    const act = new Activation('ledger/a', actorId('ledger', 'a'), def, 0, 1, host);
    const env = makeEnvelope('ledger/a', 'go', {});
    act.enqueue({ streamId: '7-0', shard: 0, actor: 'ledger/a', envelope: env });
    await settle();
    expect(timeline).toEqual(['commit v1 outbox=3', 'effect ledger/a@7-0#1', 'effect ledger/a@7-0#2']);
    expect(seen.map((e) => e.payload)).toEqual([{ n: 1, at: 1000 }, { n: 2, at: 1000 }]);
    expect(seen.every((e) => e.from === 'ledger/a' && e.type === 'ledger.write')).toBe(true);
    expect(acks).toEqual([{ streamId: '7-0', actor: 'ledger/a' }]);
  });

  it('an effect type without an executor fails the turn: nothing is committed', async () => {
    const seen: CustomEffect[] = [];
    const { host, timeline, acks } = recordingHost();
    const act = new Activation('ledger/a', actorId('ledger', 'a'), ledgerActor(seen, timeline), 0, 1, host);
    act.enqueue({ streamId: '8-0', shard: 0, actor: 'ledger/a', envelope: makeEnvelope('ledger/a', 'bad', {}) });
    await settle();
    expect(timeline).toEqual([]);
    expect(acks).toHaveLength(1);
    expect(acks[0]).toEqual(expect.objectContaining({ deadLetter: expect.objectContaining({ code: 'effect.unknown_type' }) }));
  });

  it('a stored outbox (the last activation died before marking it done) runs again with the same ids', async () => {
    const seen: CustomEffect[] = [];
    const outbox: Effect[] = [{ kind: 'effect', type: 'ledger.write', payload: { n: 4 }, id: 'ledger/a@9-0#1' }];
    const { host, timeline } = recordingHost({ id: 'ledger/a', kind: 'ledger', shard: 0, epoch: 1, state: { n: 4 }, version: 3, lastSeq: '9-0', outbox });
    const act = new Activation('ledger/a', actorId('ledger', 'a'), ledgerActor(seen, timeline), 0, 2, host);
    // The message of that turn is redelivered: it is only acknowledged, the effect runs from the outbox.
    act.enqueue({ streamId: '9-0', shard: 0, actor: 'ledger/a', envelope: makeEnvelope('ledger/a', 'go', {}) });
    await settle();
    expect(timeline).toEqual(['effect ledger/a@9-0#1']);
    expect(act.hasOutbox).toBe(true);
  });
});
