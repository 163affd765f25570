import { CliError, EXIT } from './cli-error';

/** An event as the server sends it (GET /api/v1/events, SSE data). */
export interface GodelEvent {
  seq: number;
  at: string;
  type: string;
  agent: string;
  team: string;
  correlationId: string;
  data: Record<string, unknown>;
}

/** A problem+json answer of the server, as a CliError with an exit code that says what kind of failure it was. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    exitCode: number,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, exitCode, { status, ...details });
    this.name = 'ApiError';
  }
}

interface Problem {
  code?: string;
  detail?: string;
  title?: string;
}

/** What to do next, by HTTP status. */
function advice(status: number): { exit: number; next: string } {
  if (status === 401 || status === 403) return { exit: EXIT.unauthorized, next: 'log in with `godel auth login` (or use a key with the right role)' };
  if (status === 404) return { exit: EXIT.notFound, next: 'check the name (`godel team list`, `godel agent list` show what exists)' };
  if (status === 409) return { exit: EXIT.checkFailed, next: 'check its state with `godel agent get`' };
  if (status === 429) return { exit: EXIT.unavailable, next: 'slow down and retry in a moment' };
  if (status === 503) return { exit: EXIT.unavailable, next: 'the server is not ready (Redis or PostgreSQL down, or shutting down): retry, or check `godel up`' };
  if (status >= 500) return { exit: EXIT.checkFailed, next: "the server failed: look at its log (`godel up` prints it)" };
  return { exit: EXIT.usage, next: 'fix the arguments (see `godel <command> --help`)' };
}

/**
 * The CLI's one way to talk to a Godel server: fetch, JSON, problem+json → ApiError, unreachable
 * server → a message that says how to start one. Every request carries the access token from
 * `token()` (see ApiClient.accessToken).
 */
export class GodelHttp {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    /** The access token of each request (refreshed by the source when it expires); none for login. */
    private readonly token?: () => Promise<string>,
    private readonly timeoutMs = 30_000,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Headers of every request (authorization is added when it is sent). */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { accept: 'application/json', ...extra };
  }

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.request<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /** GET returning text (e.g. /metrics). */
  async text(path: string): Promise<string> {
    const res = await this.fetch('GET', path, undefined, { accept: 'text/plain' });
    if (!res.ok) throw await this.problem(res);
    return res.text();
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, body);
    if (!res.ok) throw await this.problem(res);
    return (await res.json()) as T;
  }

  /**
   * Follows an SSE stream, yielding events; `lastEventId` resumes after that sequence. Ends when the
   * server closes the stream or `signal` aborts.
   */
  async *stream(path: string, query: Record<string, string | number | undefined>, opts: { lastEventId?: number; signal?: AbortSignal } = {}): AsyncGenerator<GodelEvent> {
    const headers = this.headers({ accept: 'text/event-stream', ...(opts.lastEventId !== undefined ? { 'last-event-id': String(opts.lastEventId) } : {}) });
    const res = await this.fetch('GET', withQuery(path, query), undefined, headers, opts.signal, false);
    if (!res.ok) throw await this.problem(res);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data) yield JSON.parse(data) as GodelEvent;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  private async fetch(method: string, path: string, body?: unknown, headers?: Record<string, string>, signal?: AbortSignal, timeout = true): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const auth: Record<string, string> = this.token ? { authorization: `Bearer ${await this.token()}` } : {};
    const signals = [signal, timeout ? AbortSignal.timeout(this.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
    try {
      return await fetch(url, {
        method,
        headers: { ...(headers ?? this.headers(body === undefined ? {} : { 'content-type': 'application/json' })), ...auth },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signals.length ? AbortSignal.any(signals) : undefined,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const e = err as { name?: string; cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') {
        throw new CliError('server.timeout', `${method} ${url} got no answer in ${this.timeoutMs / 1000} s: is the server overloaded? check it with \`curl ${this.baseUrl}/ready\``, EXIT.unavailable);
      }
      throw new CliError(
        'server.unreachable',
        `cannot reach the Godel server at ${this.baseUrl} (${e.cause?.code ?? e.cause?.message ?? String(err)}): is the server running? start it with \`godel up\`, or point --url / GODEL_URL at it`,
        EXIT.unreachable,
        { url: this.baseUrl },
        { cause: err },
      );
    }
  }

  private async problem(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    let p: Problem = {};
    try {
      p = JSON.parse(text) as Problem;
    } catch {
      // not problem+json (a proxy's page): report the status
    }
    const { exit, next } = advice(res.status);
    const code = p.code ?? `http.${res.status}`;
    return new ApiError(res.status, code, `${res.status} ${code}: ${p.detail ?? (text.slice(0, 200) || res.statusText)}. Next: ${next}`, exit);
  }
}

function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
