import type { ActorDefinition } from '../behavior';
import { UnknownMessageError } from '../errors/runtime-errors';

export interface CounterState {
  count: number;
  /** Epochs under which increments were handled, collapsed: proves activations never interleaved. */
  epochs: number[];
}

export type CounterMessage =
  | { type: 'inc'; payload: { by?: number } }
  | { type: 'probe'; payload: unknown }
  | { type: 'get'; payload: unknown }
  | { type: 'boom'; payload: { times?: number } };

const failures = new Map<string, number>();

/**
 * The demo and benchmark actor (`godel demo`, `bench:actors`; the server registers it so a fresh
 * cluster has something to send to) and the reference actor of the runtime's tests.
 */
export const counterActor: ActorDefinition<CounterState> = {
  kind: 'counter',
  initialState: () => ({ count: 0, epochs: [] }),
  receive(state, msg, ctx) {
    switch (msg.type) {
      case 'inc': {
        const by = Number((msg.payload as { by?: number } | null)?.by ?? 1);
        if (state.epochs[state.epochs.length - 1] !== ctx.epoch) state.epochs.push(ctx.epoch);
        state.count += by;
        ctx.reply(state.count);
        return state;
      }
      case 'probe': {
        // An increment that also says which activation (epoch) handled it: failover measurements.
        if (state.epochs[state.epochs.length - 1] !== ctx.epoch) state.epochs.push(ctx.epoch);
        state.count += 1;
        ctx.reply({ count: state.count, epoch: ctx.epoch, at: ctx.now() });
        return state;
      }
      case 'get':
        ctx.reply(state);
        return state;
      case 'boom': {
        // Fails the first `times` attempts of this message (per process), then succeeds.
        const times = Number((msg.payload as { times?: number } | null)?.times ?? Infinity);
        const key = `${ctx.selfAddress}@${msg.envelope.id}`;
        const n = (failures.get(key) ?? 0) + 1;
        failures.set(key, n);
        if (n <= times) throw new Error(`boom ${n}`);
        failures.delete(key);
        ctx.reply('survived');
        return state;
      }
      default:
        throw new UnknownMessageError('counter', msg.type);
    }
  },
};
