import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as received over OTLP/HTTP JSON, flattened. Ids are lowercase hex. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  /** Resource attributes (service.name, service.instance.id). */
  resource: Record<string, unknown>;
  events: string[];
}

export interface OtlpReceiver {
  /** Base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT (spans arrive on `/v1/traces`). */
  url: string;
  spans(): ReceivedSpan[];
  /** Export requests received. */
  requests(): number;
  /** Spans received (also when they are only counted). */
  count(): number;
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

function attrs(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue;
  return out;
}

/** OTLP/JSON carries ids as hex; tolerate base64 (the protobuf-JSON mapping) too. */
function hex(id: string | undefined): string | undefined {
  if (!id) return undefined;
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

function nanosToMs(v: string | number | undefined): number {
  return v === undefined ? 0 : Number(BigInt(v) / 1_000_000n);
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

/**
 * An in-process OpenTelemetry collector stand-in: accepts OTLP/HTTP JSON trace exports on
 * 127.0.0.1 and keeps the spans (tests assert on traces), or only counts them (`keepSpans: false`,
 * the benchmark).
 */
export async function startOtlpReceiver(o: { keepSpans?: boolean } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  let requests = 0;
  let counted = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    body(req)
      .then((buf) => {
        requests++;
        if (!String(req.headers['content-type'] ?? '').includes('json')) throw new Error(`unsupported content-type ${req.headers['content-type']}`);
        if (o.keepSpans === false) {
          // Counting only (the benchmark): a real collector would not share this machine's CPU.
          for (let i = buf.indexOf('"spanId":'); i >= 0; i = buf.indexOf('"spanId":', i + 9)) counted++;
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          return;
        }
        const doc = JSON.parse(buf.toString('utf8')) as {
          resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: Array<Record<string, any>> }> }>;
        };
        for (const rs of doc.resourceSpans ?? []) {
          const resource = attrs(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                traceId: hex(s.traceId)!,
                spanId: hex(s.spanId)!,
                parentSpanId: hex(s.parentSpanId),
                name: String(s.name),
                kind: Number(s.kind ?? 0),
                startMs: nanosToMs(s.startTimeUnixNano),
                endMs: nanosToMs(s.endTimeUnixNano),
                attributes: attrs(s.attributes),
                resource,
                events: ((s.events ?? []) as Array<{ name: string }>).map((e) => e.name),
              });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      })
      .catch((err: unknown) => res.writeHead(400).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    requests: () => requests,
    count: () => counted + spans.length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
