import { CliError, EXIT } from './cli-error';
import { readCredentials, writeCredentials, type Credentials } from './credentials';

/** A problem+json answer of the Godel API. */
interface Problem {
  status?: number;
  code?: string;
  detail?: string;
  details?: Record<string, unknown>;
}

/** Refresh this long before the access token expires. */
const EARLY_MS = 30_000;

const loginHint = (url?: string) => `run \`godel auth login --url ${url ?? '<server URL>'} --key <API key>\``;

/** Turns a failed HTTP answer into a CliError that says what to do next. */
export async function problemError(res: Response, url: string, what: string): Promise<CliError> {
  let p: Problem = {};
  try {
    p = (await res.json()) as Problem;
  } catch {
    // not problem+json
  }
  const code = p.code ?? `http.${res.status}`;
  const detail = p.detail ?? res.statusText;
  const details = { status: res.status, ...(p.details ?? {}) };
  switch (res.status) {
    case 401:
      return new CliError(code, `${what}: not authenticated (${detail}). To log in again, ${loginHint(url)}`, EXIT.auth, details);
    case 403:
      return new CliError(code, `${what}: not allowed (${detail}). Log in with a key of a stronger role: ${loginHint(url)}`, EXIT.auth, details);
    case 429:
      return new CliError(code, `${what}: rate limited; retry in ${res.headers.get('retry-after') ?? '1'} s`, EXIT.checkFailed, details);
    case 404:
      return new CliError(code, `${what}: not found (${detail})`, EXIT.checkFailed, details);
    case 422:
      return new CliError(code, `${what}: rejected (${detail}). Fix the arguments and run it again`, EXIT.usage, details);
    default:
      return new CliError(code, `${what}: the server answered ${res.status} (${detail})`, EXIT.checkFailed, details);
  }
}

async function send(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError('server.unreachable', `${what}: cannot reach the Godel server at ${new URL(url).origin} (${why}): is the server running? start it with \`godel up\`, or pass the right --url`, EXIT.unreachable);
  }
}

/** API key → tokens (POST /api/v1/auth/token), saved to `file` (kept in memory only without one). */
export async function login(baseUrl: string, apiKey: string, file?: string): Promise<Credentials> {
  const url = baseUrl.replace(/\/+$/, '');
  const res = await send(`${url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: apiKey }) }, 'login');
  if (!res.ok) {
    const err = await problemError(res, url, 'login');
    throw res.status === 401 ? new CliError(err.code, `login: the server refused this API key (${err.code}). Check the key (an admin can list keys with \`godel auth keys list\`)`, EXIT.auth, err.details) : err;
  }
  const t = (await res.json()) as Omit<Credentials, 'url'>;
  const c: Credentials = { url, accessToken: t.accessToken, expiresAt: t.expiresAt, refreshToken: t.refreshToken, refreshExpiresAt: t.refreshExpiresAt, key: t.key };
  if (file) await writeCredentials(file, c);
  return c;
}

/**
 * The CLI's HTTP client for the Godel API: reads the saved credentials, refreshes the access token
 * before it expires (or when the server says auth.expired) and saves the rotated refresh token,
 * and turns problem+json into CliErrors that say what to do next.
 */
export class ApiClient {
  private constructor(
    private creds: Credentials,
    private readonly file?: string,
  ) {}

  /**
   * The client for a command at `url`: an API key (GODEL_API_KEY, or a local server's bootstrap key)
   * logs in for this command only; otherwise the saved login, which must be for that server.
   */
  static async connect(url: string, o: { apiKey?: string; credentialsFile: string }): Promise<ApiClient> {
    if (o.apiKey) return new ApiClient(await login(url, o.apiKey));
    const c = await ApiClient.load(o.credentialsFile);
    if (c.url !== url.replace(/\/+$/, '')) throw new CliError('auth.other_server', `the saved login is for ${c.url}, not ${url}: ${loginHint(url)}, or set GODEL_API_KEY`, EXIT.auth);
    return c;
  }

  static async load(file: string): Promise<ApiClient> {
    const c = await readCredentials(file);
    if (!c) throw new CliError('auth.not_logged_in', `not logged in (no credentials in ${file}): ${loginHint()}`, EXIT.auth);
    return new ApiClient(c, file);
  }

  get url(): string {
    return this.creds.url;
  }

  get credentials(): Credentials {
    return this.creds;
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    if (this.creds.expiresAt - EARLY_MS <= Date.now()) await this.refresh();
    return this.creds.accessToken;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const what = `${method} ${path}`;
    if (this.creds.expiresAt - EARLY_MS <= Date.now()) await this.refresh();
    let res = await this.call(method, path, body, what);
    if (res.status === 401) {
      const p = (await res
        .clone()
        .json()
        .catch(() => ({}))) as Problem;
      if (p.code === 'auth.expired') {
        await this.refresh();
        res = await this.call(method, path, body, what);
      }
    }
    if (!res.ok) throw await problemError(res, this.creds.url, what);
    return (await res.json()) as T;
  }

  /** Spends the refresh token for a new pair and saves it. */
  async refresh(): Promise<void> {
    const res = await send(
      `${this.creds.url}/api/v1/auth/refresh`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: this.creds.refreshToken }) },
      'refresh',
    );
    if (!res.ok) {
      const err = await problemError(res, this.creds.url, 'refresh');
      throw new CliError(err.code, `the saved login has expired or was revoked (${err.code}): ${loginHint(this.creds.url)}`, EXIT.auth, err.details);
    }
    const t = (await res.json()) as Omit<Credentials, 'url'>;
    this.creds = { ...this.creds, accessToken: t.accessToken, expiresAt: t.expiresAt, refreshToken: t.refreshToken, refreshExpiresAt: t.refreshExpiresAt, key: t.key };
    if (this.file) await writeCredentials(this.file, this.creds);
  }

  private call(method: string, path: string, body: unknown, what: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.creds.accessToken}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return send(`${this.creds.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, what);
  }
}
