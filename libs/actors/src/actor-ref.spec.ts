import { actorId } from './actor-id';
import { actorRef, messageOf, outboxRef, tellRef, type MessageSender } from './actor-ref';
import { makeEnvelope } from './envelope';

// Real: the references and a recording sender. Mocked: nothing (no runtime needed to forward a call).
type Proto = { type: 'inc'; payload: { by: number } } | { type: 'get'; payload: Record<string, never> };

function recorder(): MessageSender & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    tell: async (...a: unknown[]) => void calls.push(['tell', ...a]),
    ask: async <T>(...a: unknown[]) => {
      calls.push(['ask', ...a]);
      return 7 as T;
    },
  };
}

describe('typed actor references', () => {
  it('tell and ask go to the referenced address with the type and payload given', async () => {
    const sender = recorder();
    const ref = actorRef<Proto, number>(sender, actorId('counter', 'a'));
    await ref.tell('inc', { by: 2 }, { from: 'x' });
    const reply = await ref.ask('get', {}, 900);
    expect(ref.address).toBe('counter/a');
    expect(sender.calls).toEqual([
      ['tell', 'counter/a', 'inc', { by: 2 }, { from: 'x' }],
      ['ask', 'counter/a', 'get', {}, 900, undefined],
    ]);
    expect(reply).toBe(7);
    // @ts-expect-error a payload of the wrong shape does not compile
    void ref.tell('inc', { by: 'two' });
    // @ts-expect-error a type outside the protocol does not compile
    void tellRef<Proto>(sender, 'counter/a').tell('dec', {});
  });

  it("outboxRef tells through the turn's context", () => {
    const told: unknown[][] = [];
    outboxRef<Proto>({ tell: (...a: unknown[]) => void told.push(a) }, 'counter/b').tell('inc', { by: 1 });
    expect(told).toEqual([['counter/b', 'inc', { by: 1 }]]);
  });

  it('messageOf reads a mailbox message as the protocol, narrowing by type', () => {
    const envelope = makeEnvelope('counter/a', 'inc', { by: 3 });
    const m = messageOf<Proto>({ type: envelope.type, payload: envelope.payload, envelope });
    expect(m.type === 'inc' ? m.payload.by : undefined).toBe(3);
    expect(m.envelope).toBe(envelope);
  });
});
