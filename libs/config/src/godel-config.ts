import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { delimiter, isAbsolute } from 'node:path';

/**
 * The only reader of process.env. Everything else receives a typed GodelConfig.
 * Values are read when loadConfig() is called, never at import time.
 */
export interface GodelConfig {
  /** Redis URL; undefined when the caller should start or find a local one. */
  redisUrl?: string;
  /** PostgreSQL URL; undefined when the caller should start an embedded one. */
  databaseUrl?: string;
  /** Prefix of every Redis key and BullMQ queue of this deployment (lets tests share one Redis). */
  keyPrefix: string;
  /** PostgreSQL schema holding Godel's tables. */
  dbSchema: string;
  /** GODEL_DB_SYNC_COMMIT=off trades durability on a PostgreSQL crash for commit latency. */
  dbSynchronousCommit: boolean;
  instanceId?: string;
  roles: Array<'api' | 'runtime'>;
  httpPort: number;
  /** Listen address (GODEL_HOST): 127.0.0.1 by default (local use); 0.0.0.0 in the container image. */
  httpHost: string;
  runtime: {
    shardCount: number;
    leaseTtlMs: number;
    mailboxLimit: number;
    maxMessageBytes: number;
    idleTimeoutMs: number;
    maxInFlight: number;
  };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /**
   * OpenTelemetry traces, exported over OTLP/HTTP to `<endpoint>/v1/traces` when
   * OTEL_EXPORTER_OTLP_ENDPOINT is set (off otherwise); OTEL_SERVICE_NAME names the service (godel);
   * OTEL_TRACES_SAMPLER_ARG is the share of traces kept (default 1, parent-based: whole traces).
   */
  otel: { endpoint?: string; serviceName: string; sampleRatio: number };
  /**
   * Model providers for agents, in order (GODEL_PROVIDERS, a JSON list of
   * {provider, model, baseUrl?, api?, apiKey?, tier?, cost?}). Empty = offline: the server runs the
   * scripted model and says so.
   */
  providers: ProviderConfig[];
  /** Folder of extra scripts (*.yaml / *.json) for the offline scripted model (GODEL_SCRIPTS_DIR). */
  scriptsDir?: string;
  /** A team playbook (YAML/JSON) the offline scripted model plays for Godel's role prompts (GODEL_PLAYBOOK). */
  playbook?: string;
  /** Worktree cleanup: every N ms, TTL of finished worktrees (GODEL_CLEANUP_EVERY_MS, GODEL_WORKTREE_TTL_MS). */
  cleanup: { everyMs: number; ttlMs: number; keepFailed: boolean };
  /** Autonomic maintenance check of opted-in repositories, every N ms (GODEL_MAINTENANCE_EVERY_MS). */
  maintenanceEveryMs: number;
  /** Folder for local state (embedded PostgreSQL data, private Redis). */
  homeDir: string;
  /**
   * Directories repositories must live under (GODEL_REPO_ROOTS, separated by `:`), compared as real
   * paths (symlinks resolved). Default: the user's home directory and the system temp directory;
   * the one-shot server of `godel do` sets it to the repository it was given.
   */
  repoRoots: string[];
  /** Open SSE streams one API key may hold at once (GODEL_SSE_MAX_PER_KEY, default 16). */
  sseMaxPerKey: number;
  /** Events and audit rows older than `days` are deleted every `everyMs` (GODEL_RETENTION_DAYS, 0 = keep; GODEL_RETENTION_EVERY_MS). */
  retention: { days: number; everyMs: number };
  /**
   * The OS sandbox around agents, verifications and maintenance checks (GODEL_SANDBOX): `bwrap`
   * (default; bubblewrap must be installed, else the runtime refuses to start) or `off`
   * (development only; warns at every start).
   */
  sandbox: 'bwrap' | 'off';
  /**
   * Admission control of agent processes on this instance: process starts at once
   * (GODEL_AGENT_START_CONCURRENCY, default one per core: pi's start is CPU-bound) and live agents
   * (GODEL_MAX_AGENTS, default total memory less 1 GiB at ~180 MB per sandboxed pi). Starts beyond either wait
   * in a queue (`agent.queued`) instead of timing out.
   */
  agents: { startConcurrency: number; maxAgents: number };
  auth: AuthConfig;
  /** The CLI's side: where `godel auth login` keeps tokens, and defaults for its flags. */
  cli: {
    /** `$GODEL_HOME/credentials.json`, else `~/.godel/credentials.json` (written with mode 0600). */
    credentialsFile: string;
    /** GODEL_URL: the server `godel auth login` talks to without --url (default http://127.0.0.1:<GODEL_PORT>). */
    url: string;
    /** GODEL_API_KEY: the key `godel auth login` uses without --key (keeps it out of shell history). */
    apiKey?: string;
  };
}

/** Secrets and limits of the API's front door (libs/auth). */
export interface AuthConfig {
  /**
   * Bootstrap admin API key (GODEL_ADMIN_KEY, ≥ 32 chars). Undefined = the server generates one at
   * startup and logs it once (dev only: every instance would have its own).
   */
  adminKey?: string;
  /** HMAC secret of access tokens (GODEL_JWT_SECRET, ≥ 32 chars). Undefined = random per process (dev only). */
  jwtSecret?: string;
  /** Access token lifetime (GODEL_ACCESS_TOKEN_TTL_S, default 900). */
  accessTtlS: number;
  /** Refresh token lifetime (GODEL_REFRESH_TOKEN_TTL_S, default 30 days). */
  refreshTtlS: number;
  /** Token bucket per API key: refill per second and capacity (GODEL_RATE_LIMIT_PER_S, GODEL_RATE_LIMIT_BURST). */
  rateLimit: { perSecond: number; burst: number };
  /**
   * Token bucket per client address for the public `/auth/token` and `/auth/refresh`
   * (GODEL_AUTH_RATE_LIMIT_PER_S, default 5; GODEL_AUTH_RATE_LIMIT_BURST, default 30).
   */
  loginRateLimit: { perSecond: number; burst: number };
}

function secret(env: Env, key: string): string | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 32) throw new ConfigError(`${key} must be at least 32 characters (a random secret), got ${raw.length}`);
  return raw;
}

/** One configured model: a pi built-in provider or any OpenAI/Anthropic-compatible base URL. */
export interface ProviderConfig {
  /** Provider name as pi knows it (a built-in such as `anthropic`, or a custom one defined here). */
  provider: string;
  model: string;
  /** For a custom provider: its base URL and API flavour (written to the agent's models.json). */
  baseUrl?: string;
  api?: 'openai-completions' | 'openai-responses' | 'anthropic-messages' | 'google-generative-ai';
  /** Name of an environment variable holding the key (kept off disk), or a literal. */
  apiKey?: string;
  tier?: 'strong' | 'cheap';
  /** Dollars per million tokens, used for cost-aware choice and the cost ledger. */
  cost?: { input: number; output: number };
  /** Shown to users, e.g. "scripted model (offline)". */
  label?: string;
}

function providers(env: Env): ProviderConfig[] {
  const raw = env.GODEL_PROVIDERS;
  if (raw === undefined || raw.trim() === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ConfigError('GODEL_PROVIDERS must be a JSON list of {provider, model, baseUrl?, api?, apiKey?, tier?, cost?}');
  }
  if (!Array.isArray(v)) throw new ConfigError('GODEL_PROVIDERS must be a JSON list');
  return v.map((p, i) => {
    if (typeof p !== 'object' || p === null || typeof p.provider !== 'string' || typeof p.model !== 'string') {
      throw new ConfigError(`GODEL_PROVIDERS[${i}] needs string fields provider and model`);
    }
    return p as ProviderConfig;
  });
}

export class ConfigError extends Error {
  readonly code = 'config.invalid';
  readonly retryable = false;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (['on', 'true', '1'].includes(raw)) return true;
  if (['off', 'false', '0'].includes(raw)) return false;
  throw new ConfigError(`${key} must be on|off, got "${raw}"`);
}

function sandboxMode(raw: string | undefined): 'bwrap' | 'off' {
  if (raw === undefined || raw === '' || raw === 'on' || raw === 'bwrap') return 'bwrap';
  if (raw === 'off') return 'off';
  throw new ConfigError(`GODEL_SANDBOX must be on|bwrap|off, got "${raw}"`);
}

function name(env: Env, key: string, fallback: string): string {
  const raw = env[key] ?? fallback;
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(raw)) {
    throw new ConfigError(`${key} must match [a-z][a-z0-9_]{0,40}, got "${raw}"`);
  }
  return raw;
}

function repoRoots(env: Env): string[] {
  const raw = env.GODEL_REPO_ROOTS;
  if (raw === undefined || raw.trim() === '') return [env.HOME, tmpdir()].filter((d): d is string => !!d && isAbsolute(d));
  const dirs = raw.split(delimiter).map((d) => d.trim()).filter(Boolean);
  for (const d of dirs) if (!isAbsolute(d)) throw new ConfigError(`GODEL_REPO_ROOTS entries must be absolute paths, got "${d}"`);
  return dirs;
}

function ratio(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`${key} must be a number in [0, 1], got "${raw}"`);
  return n;
}

function otlpEndpoint(env: Env): string | undefined {
  const raw = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (raw === undefined || raw === '') return undefined;
  if (!/^https?:\/\/[^\s/]+/.test(raw)) throw new ConfigError(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://otel-collector:4318, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

function host(env: Env): string {
  const raw = env.GODEL_HOST;
  if (raw === undefined || raw === '') return '127.0.0.1';
  // An IPv4/IPv6 literal or a host name; no scheme, port or path.
  if (!/^(?:[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$/.test(raw)) throw new ConfigError(`GODEL_HOST must be an address such as 0.0.0.0, :: or 127.0.0.1, got "${raw}"`);
  return raw;
}

function apiUrl(env: Env): string {
  const raw = env.GODEL_URL;
  if (raw === undefined || raw === '') return `http://127.0.0.1:${int(env, 'GODEL_PORT', 7373, 0, 65535) || 7373}`;
  if (!/^https?:\/\/[^\s/]+/.test(raw)) throw new ConfigError(`GODEL_URL must be an http(s) URL such as http://127.0.0.1:7373, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

export function loadConfig(env: Env = process.env, overrides: Partial<GodelConfig> = {}): GodelConfig {
  const roles = (env.GODEL_ROLES ?? 'api,runtime').split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of roles) {
    if (r !== 'api' && r !== 'runtime') throw new ConfigError(`GODEL_ROLES: unknown role "${r}" (api, runtime)`);
  }
  const level = env.GODEL_LOG_LEVEL ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    throw new ConfigError(`GODEL_LOG_LEVEL must be debug|info|warn|error, got "${level}"`);
  }
  const config: GodelConfig = {
    redisUrl: env.REDIS_URL || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    keyPrefix: name(env, 'GODEL_KEY_PREFIX', 'godel'),
    dbSchema: name(env, 'GODEL_DB_SCHEMA', 'godel'),
    dbSynchronousCommit: bool(env, 'GODEL_DB_SYNC_COMMIT', true),
    instanceId: env.GODEL_INSTANCE_ID || undefined,
    roles: roles as GodelConfig['roles'],
    httpPort: int(env, 'GODEL_PORT', 7373, 0, 65535),
    httpHost: host(env),
    runtime: {
      shardCount: int(env, 'GODEL_SHARDS', 64, 1, 4096),
      leaseTtlMs: int(env, 'GODEL_LEASE_TTL_MS', 2000, 200, 120000),
      mailboxLimit: int(env, 'GODEL_MAILBOX_LIMIT', 10000, 1, 10_000_000),
      maxMessageBytes: int(env, 'GODEL_MAX_MESSAGE_BYTES', 256 * 1024, 256, 64 * 1024 * 1024),
      idleTimeoutMs: int(env, 'GODEL_IDLE_TIMEOUT_MS', 60000, 100, 86_400_000),
      maxInFlight: int(env, 'GODEL_MAX_IN_FLIGHT', 5000, 10, 1_000_000),
    },
    logLevel: level as GodelConfig['logLevel'],
    otel: { endpoint: otlpEndpoint(env), serviceName: env.OTEL_SERVICE_NAME || 'godel', sampleRatio: ratio(env, 'OTEL_TRACES_SAMPLER_ARG', 1) },
    providers: providers(env),
    scriptsDir: env.GODEL_SCRIPTS_DIR || undefined,
    playbook: env.GODEL_PLAYBOOK || undefined,
    cleanup: {
      everyMs: int(env, 'GODEL_CLEANUP_EVERY_MS', 10 * 60_000, 1000, 86_400_000),
      ttlMs: int(env, 'GODEL_WORKTREE_TTL_MS', 7 * 86_400_000, 0, 365 * 86_400_000),
      keepFailed: bool(env, 'GODEL_KEEP_FAILED_WORKTREES', true),
    },
    maintenanceEveryMs: int(env, 'GODEL_MAINTENANCE_EVERY_MS', 60_000, 1000, 86_400_000),
    repoRoots: repoRoots(env),
    sseMaxPerKey: int(env, 'GODEL_SSE_MAX_PER_KEY', 16, 1, 100_000),
    retention: { days: int(env, 'GODEL_RETENTION_DAYS', 30, 0, 36_500), everyMs: int(env, 'GODEL_RETENTION_EVERY_MS', 3_600_000, 1000, 86_400_000) },
    // PostgreSQL refuses to run as root and its own user cannot enter /root: root gets /var/lib/godel.
    auth: {
      adminKey: secret(env, 'GODEL_ADMIN_KEY'),
      jwtSecret: secret(env, 'GODEL_JWT_SECRET'),
      accessTtlS: int(env, 'GODEL_ACCESS_TOKEN_TTL_S', 900, 5, 86_400),
      refreshTtlS: int(env, 'GODEL_REFRESH_TOKEN_TTL_S', 30 * 86_400, 60, 365 * 86_400),
      rateLimit: { perSecond: int(env, 'GODEL_RATE_LIMIT_PER_S', 100, 1, 1_000_000), burst: int(env, 'GODEL_RATE_LIMIT_BURST', 200, 1, 10_000_000) },
      loginRateLimit: { perSecond: int(env, 'GODEL_AUTH_RATE_LIMIT_PER_S', 5, 1, 1_000_000), burst: int(env, 'GODEL_AUTH_RATE_LIMIT_BURST', 30, 1, 10_000_000) },
    },
    cli: {
      credentialsFile: env.GODEL_HOME ? `${env.GODEL_HOME.replace(/\/+$/, '')}/credentials.json` : `${env.HOME ?? '/tmp'}/.godel/credentials.json`,
      url: apiUrl(env),
      apiKey: env.GODEL_API_KEY || undefined,
    },
    sandbox: sandboxMode(env.GODEL_SANDBOX),
    agents: {
      startConcurrency: int(env, 'GODEL_AGENT_START_CONCURRENCY', Math.max(1, availableParallelism()), 1, 1024),
      maxAgents: int(env, 'GODEL_MAX_AGENTS', Math.max(1, Math.floor((totalmem() - 1024 ** 3) / (180 * 1024 ** 2))), 1, 100_000),
    },
    homeDir: env.GODEL_HOME || (process.getuid?.() === 0 ? '/var/lib/godel' : `${env.HOME ?? '/tmp'}/.godel`),
  };
  return { ...config, ...overrides, runtime: { ...config.runtime, ...(overrides.runtime ?? {}) }, auth: { ...config.auth, ...(overrides.auth ?? {}) } };
}

/** A copy of the process environment, for starting child processes (libs/config is the only env reader). */
export function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}
