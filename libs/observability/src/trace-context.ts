import { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { TraceCarrier } from '@godel/actors';

export const TRACER_NAME = 'godel';

// A proxy tracer: it follows the provider registered later by startTracing, so it can be kept.
const tracer = trace.getTracer(TRACER_NAME);

/** The active trace context as a W3C carrier (for an envelope, a job, a header), or undefined. */
export function currentCarrier(ctx: Context = context.active()): TraceCarrier | undefined {
  if (!trace.getSpanContext(ctx)) return undefined;
  const out: Record<string, string> = {};
  propagation.inject(ctx, out);
  return out.traceparent ? { traceparent: out.traceparent, ...(out.tracestate ? { tracestate: out.tracestate } : {}) } : undefined;
}

/** The context a carrier describes (root context when absent or malformed). */
export function contextFrom(carrier: TraceCarrier | Record<string, unknown> | undefined): Context {
  if (!carrier || typeof carrier !== 'object' || typeof carrier.traceparent !== 'string') return context.active();
  const headers: Record<string, string> = { traceparent: carrier.traceparent };
  if (typeof carrier.tracestate === 'string') headers.tracestate = carrier.tracestate;
  return propagation.extract(context.active(), headers);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent: a carrier (from an envelope or job) or a captured context; default the active one. */
  parent?: TraceCarrier | Context;
}

function parentContext(parent: SpanOptions['parent']): Context {
  if (!parent) return context.active();
  return 'traceparent' in (parent as object) ? contextFrom(parent as TraceCarrier) : (parent as Context);
}

/** A started span (the caller ends it) and the context in which it is the active span. */
export function startSpan(name: string, opts: SpanOptions = {}): { span: Span; ctx: Context } {
  const parent = parentContext(opts.parent);
  const span = tracer.startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Runs `fn` inside a new span; an exception marks the span as an error and is rethrown. */
export async function withSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const { span, ctx } = startSpan(name, opts);
  try {
    return await context.with(ctx, () => fn(span));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/** The active context, to run later work (a callback from a child process) in the same trace. */
export function captureContext(): Context {
  return context.active();
}

export function runInContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** Adds a timestamped event (a stage, with its data) to the active span, if any. */
export function addSpanEvent(name: string, attributes: Record<string, unknown> = {}): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  const attrs: Attributes = {};
  for (const [k, v] of Object.entries(attributes)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attrs[k] = v;
  span.addEvent(name, attrs);
}

/** Trace and span id of the active span, for log lines. */
export function activeIds(): { traceId: string; spanId: string } | undefined {
  const sc = trace.getSpanContext(context.active());
  return sc && trace.isSpanContextValid(sc) ? { traceId: sc.traceId, spanId: sc.spanId } : undefined;
}

export { SpanKind, SpanStatusCode, ROOT_CONTEXT };
export type { Span, Context };
