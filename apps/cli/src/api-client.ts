import { CliError, EXIT } from './cli-error';
import { readCredentials, writeCredentials, type Credentials } from './credentials';
import { ApiError, GodelHttp } from './http';

/** Refresh this long before the access token expires. */
const EARLY_MS = 30_000;

const loginHint = (url?: string) => `run \`godel auth login --url ${url ?? '<server URL>'} --key <API key>\``;

/** API key → tokens (POST /api/v1/auth/token), saved to `file` (kept in memory only without one). */
export async function login(baseUrl: string, apiKey: string, file?: string): Promise<Credentials> {
  const http = new GodelHttp(baseUrl);
  let t: Omit<Credentials, 'url'>;
  try {
    t = await http.post<Omit<Credentials, 'url'>>('/api/v1/auth/token', { key: apiKey });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw new CliError(err.code, `login: the server refused this API key (${err.code}). Check the key (an admin can list keys with \`godel auth keys list\`)`, EXIT.auth, err.details);
    throw err;
  }
  const c: Credentials = { url: http.baseUrl, accessToken: t.accessToken, expiresAt: t.expiresAt, refreshToken: t.refreshToken, refreshExpiresAt: t.refreshExpiresAt, key: t.key };
  if (file) await writeCredentials(file, c);
  return c;
}

/**
 * The CLI's authenticated client for the Godel API: reads the saved credentials (or logs in with a
 * key for one command), refreshes the access token before it expires (or when the server says
 * auth.expired) and saves the rotated refresh token. Requests go through `http` (GodelHttp: the one
 * transport, problem+json → errors that say what to do next).
 */
export class ApiClient {
  /** The transport, carrying this client's access token. */
  readonly http: GodelHttp;

  private constructor(
    private creds: Credentials,
    private readonly file?: string,
  ) {
    this.http = new GodelHttp(creds.url, () => this.accessToken());
  }

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
    try {
      return await this.http.request<T>(method, path, body);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'auth.expired')) throw err;
      await this.refresh();
      return this.http.request<T>(method, path, body);
    }
  }

  /** Spends the refresh token for a new pair and saves it. */
  async refresh(): Promise<void> {
    let t: Omit<Credentials, 'url'>;
    try {
      t = await new GodelHttp(this.creds.url).post<Omit<Credentials, 'url'>>('/api/v1/auth/refresh', { refreshToken: this.creds.refreshToken });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      throw new CliError(err.code, `the saved login has expired or was revoked (${err.code}): ${loginHint(this.creds.url)}`, EXIT.auth, err.details);
    }
    this.creds = { ...this.creds, accessToken: t.accessToken, expiresAt: t.expiresAt, refreshToken: t.refreshToken, refreshExpiresAt: t.refreshExpiresAt, key: t.key };
    if (this.file) await writeCredentials(this.file, this.creds);
  }
}
