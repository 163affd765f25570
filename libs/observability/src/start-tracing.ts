import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  serviceName: string;
  /** `service.instance.id` of every span (the Godel instance id). */
  instanceId?: string;
  /** Longest wait before a finished span is exported (default 1000 ms). */
  exportDelayMs?: number;
  /**
   * Share of new traces kept (OTEL_TRACES_SAMPLER_ARG, default 1 = all). The decision is made once
   * at the root (an HTTP request, an untraced message) and inherited: a trace is kept whole or not at all.
   */
  sampleRatio?: number;
}

export interface Tracing {
  /** Exports what is buffered and stops; idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK (NodeSDK: AsyncLocalStorage context, W3C trace-context propagation)
 * with one OTLP/HTTP trace exporter behind a batching processor. No auto-instrumentation: Godel
 * makes its own spans (HTTP requests, actor turns, agent tools, merges), and no log or metric export
 * (metrics are Prometheus, logs go to stdout). Off unless the caller has an endpoint.
 */
export function startTracing(o: TracingOptions): Tracing {
  const exporter = new OTLPTraceExporter({ url: `${o.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const sdk = new NodeSDK({
    serviceName: o.serviceName,
    resource: resourceFromAttributes({ 'service.name': o.serviceName, ...(o.instanceId ? { 'service.instance.id': o.instanceId } : {}) }),
    autoDetectResources: false,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(o.sampleRatio ?? 1) }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: o.exportDelayMs ?? 1000, maxQueueSize: 16384, maxExportBatchSize: 256 })],
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  let done: Promise<void> | undefined;
  return { shutdown: () => (done ??= sdk.shutdown().catch(() => undefined)) };
}
