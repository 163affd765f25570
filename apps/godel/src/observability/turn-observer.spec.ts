import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { makeEnvelope } from '@godel/actors';
import { currentLogContext, OtelTurnObserver, startSpan, runInContext } from '@godel/observability';

/**
 * Pure: the TurnObserver the server gives the actor runtime. With the context manager and W3C
 * propagator the SDK registers (no exporter: non-recording spans still carry ids), a turn runs in
 * a child of the envelope's trace, with the envelope's correlation id in the log context, and what
 * it sends carries that turn's context. Mocked: nothing.
 */
describe('OtelTurnObserver', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });

  it('puts the sender context into envelopes and runs the turn in that trace, timed', async () => {
    const timed: Array<[string, boolean]> = [];
    const observer = new OtelTurnObserver((kind, seconds, ok) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      timed.push([kind, ok]);
    });
    expect(observer.carrier()).toBeUndefined(); // nothing traced: envelopes carry nothing
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const { span, ctx } = startSpan('sender', { parent: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const carrier = runInContext(ctx, () => observer.carrier());
    span.end();
    expect(carrier?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const env = makeEnvelope('counter/1', 'inc', {}, { trace: carrier, correlationId: 'intent-7' });
    let inside: { traceId?: string; correlationId?: string; sent?: string } = {};
    await observer.turn('counter/1', 'counter', env, async () => {
      inside = { traceId: trace.getActiveSpan()?.spanContext().traceId, correlationId: currentLogContext()?.correlationId, sent: observer.carrier()?.traceparent };
    });
    expect(inside.traceId).toBe(traceId);
    expect(inside.correlationId).toBe('intent-7');
    expect(inside.sent?.split('-')[1]).toBe(traceId); // a message sent from the turn continues the trace
    expect(timed).toEqual([['counter', true]]);

    await expect(observer.turn('counter/1', 'counter', makeEnvelope('counter/1', 'inc', {}), async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(timed[1]).toEqual(['counter', false]);
  });

  it("times how long the message waited before its turn began, from the envelope's send time (a clock ahead counts as 0)", async () => {
    const waits: number[] = [];
    const observer = new OtelTurnObserver((_kind, _seconds, _ok, waited) => void waits.push(waited));
    const sentAt = Date.now() - 250;
    await observer.turn('counter/1', 'counter', { ...makeEnvelope('counter/1', 'inc', {}), sentAt }, async () => {
      await new Promise((r) => setTimeout(r, 100)); // the turn's own time is not part of the wait
    });
    await observer.turn('counter/1', 'counter', { ...makeEnvelope('counter/1', 'inc', {}), sentAt: Date.now() + 60_000 }, async () => undefined);
    expect(waits[0]).toBeGreaterThanOrEqual(0.25);
    expect(waits[0]).toBeLessThan(0.34);
    expect(waits[1]).toBe(0);
  });
});
