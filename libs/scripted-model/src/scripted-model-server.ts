import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SCRIPTED_MODEL_IDENTITY, completionBody, completionChunks, errorBody, sseData, usageFor, type WireContext } from './openai-wire';
import type { ChatCompletionRequest, ScriptSource, Step } from './script';
import { isErrorStep } from './script';
import { ScriptPlayer } from './script-player';

export interface ScriptedModelOptions {
  script: ScriptSource;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Model ids listed by `GET /v1/models`; any model id is accepted on requests. */
  models?: string[];
}

/** One request the server received, in arrival order; `status` is filled in when it is answered. */
export interface RecordedRequest {
  method: string;
  path: string;
  receivedAt: number;
  headers: Record<string, string | string[] | undefined>;
  body?: ChatCompletionRequest;
  stream: boolean;
  scriptName?: string;
  stepIndex?: number;
  step?: Step;
  status?: number;
}

export interface ScriptedModel {
  /** Base URL for OpenAI clients, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Forgets recorded requests and every conversation's position in its script. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Starts an OpenAI-compatible chat-completions server that plays a script instead of thinking, so
 * real coding agents run offline in tests and demos. It always says what it is: the
 * `x-scripted-model` header, the `owned_by` of its models and each completion's
 * `system_fingerprint` read "scripted model (offline)".
 */
export async function startScriptedModel(options: ScriptedModelOptions): Promise<ScriptedModel> {
  const player = new ScriptPlayer(options.script);
  const models = options.models ?? ['scripted'];
  const requests: RecordedRequest[] = [];
  const pendingDelays = new Set<() => void>();
  let completions = 0;
  let closing = false;

  const server = createServer((req, res) => {
    res.setHeader('x-scripted-model', SCRIPTED_MODEL_IDENTITY);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0],
      receivedAt: Date.now(),
      headers: { ...req.headers },
      stream: false,
    };
    requests.push(record);
    handle(req, res, record).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, record, 500, errorBody(500, `scripted model: internal failure: ${(err as Error).message}`));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    if (record.method === 'GET' && record.path === '/v1/models') {
      const data = models.map((id) => ({ id, object: 'model', created: 0, owned_by: SCRIPTED_MODEL_IDENTITY }));
      return sendJson(res, record, 200, { object: 'list', data });
    }
    if (record.method !== 'POST' || record.path !== '/v1/chat/completions') {
      return sendJson(res, record, 404, errorBody(404, `scripted model: no route ${record.method} ${record.path}`));
    }
    const body = parseRequest(await readBody(req));
    if (typeof body === 'string') return sendJson(res, record, 400, errorBody(400, `scripted model: ${body}`));
    record.body = body;
    record.stream = body.stream === true;
    const played = await player.next(body);
    record.scriptName = played.scriptName;
    record.stepIndex = played.index;
    if (!played.ok) return sendJson(res, record, played.status, errorBody(played.status, played.message));
    const step = played.step;
    record.step = step;
    if (step.delayMs) await delay(step.delayMs, res);
    if (closing || res.destroyed || req.socket.destroyed) return;
    if (isErrorStep(step)) {
      const headers: Record<string, string> = {};
      if (step.error.retryAfterMs !== undefined) {
        headers['retry-after-ms'] = String(step.error.retryAfterMs);
        headers['retry-after'] = String(Math.ceil(step.error.retryAfterMs / 1000));
      }
      return sendJson(res, record, step.error.status, errorBody(step.error.status, step.error.message), headers);
    }
    completions += 1;
    const ctx: WireContext = {
      id: `chatcmpl-scripted-${completions}`,
      model: body.model ?? models[0],
      created: Math.floor(Date.now() / 1000),
      toolCallIdPrefix: `call_scripted_${completions}`,
    };
    const usage = usageFor(step, body);
    if (!record.stream) return sendJson(res, record, 200, completionBody(step, ctx, usage));
    record.status = 200;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    for (const chunk of completionChunks(step, ctx, usage)) res.write(sseData(chunk));
    res.end(sseData('[DONE]'));
  }

  /** Waits `ms`, cut short when the client goes away or the server closes. */
  function delay(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        res.off('close', done);
        pendingDelays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      res.on('close', done);
      pendingDelays.add(done);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}/v1`,
    port: address.port,
    requests,
    reset() {
      requests.length = 0;
      player.reset();
    },
    close() {
      closing = true;
      for (const done of [...pendingDelays]) done();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function sendJson(res: ServerResponse, record: RecordedRequest, status: number, body: unknown, headers: Record<string, string> = {}): void {
  record.status = status;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The parsed body, or a string saying what is wrong with it. */
function parseRequest(text: string): ChatCompletionRequest | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'request body is not JSON';
  }
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { messages?: unknown }).messages)) {
    return 'request body needs a "messages" list';
  }
  return body as ChatCompletionRequest;
}
