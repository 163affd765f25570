import { context, ROOT_CONTEXT, SpanStatusCode } from '@opentelemetry/api';
import type { Envelope, TraceCarrier, TurnObserver } from '@godel/actors';
import { withLogContext } from './log-context';
import { contextFrom, currentCarrier, SpanKind, startSpan } from './trace-context';

/**
 * Called after each turn with its kind, its duration, and how long its message waited before it
 * began (send to turn start, on the sender's and this host's wall clocks: across hosts it includes
 * their skew). The turn-latency and mailbox-wait histograms hook in here.
 */
export type TurnTimer = (kind: string, seconds: number, ok: boolean, waitSeconds: number) => void;

/**
 * The runtime's TurnObserver on OpenTelemetry: every turn is a CONSUMER span `turn <kind>` whose
 * parent is the trace context the sender put in the envelope (a message without one starts a new
 * trace), run with the envelope's correlation id in the log context. Without a registered SDK the
 * spans are no-ops and only the timer runs.
 */
export class OtelTurnObserver implements TurnObserver {
  constructor(private readonly timer?: TurnTimer) {}

  carrier(): TraceCarrier | undefined {
    return currentCarrier();
  }

  async turn<T>(actor: string, kind: string, env: Envelope, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const waited = Math.max(0, Date.now() - env.sentAt) / 1000;
    const parent = env.trace ? context.with(ROOT_CONTEXT, () => contextFrom(env.trace)) : ROOT_CONTEXT;
    const { span, ctx } = startSpan(`turn ${kind}`, {
      kind: SpanKind.CONSUMER,
      parent,
      attributes: env.correlationId
        ? { 'godel.actor': actor, 'godel.actor.kind': kind, 'godel.message.type': env.type, 'godel.correlation_id': env.correlationId }
        : { 'godel.actor': actor, 'godel.actor.kind': kind, 'godel.message.type': env.type },
    });
    let ok = false;
    try {
      const out = await withLogContext({ correlationId: env.correlationId, actor }, () => context.with(ctx, fn));
      ok = true;
      return out;
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
      this.timer?.(kind, (performance.now() - t0) / 1000, ok, waited);
    }
  }
}
