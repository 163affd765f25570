import type { AgentPoolConfig } from './agent-pool';
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
    /**
     * Redis commands of one event-loop turn (sends, reads, acks, replies) leave in one pipeline, one
     * socket write (GODEL_REDIS_PIPELINE, default on; issue 13). Off: one write per command.
     */
    redisPipeline?: boolean;
    /**
     * Placement (issue 12): a member whose event-loop lag p99 is above this is unhealthy — it takes no
     * new team and its idle shards move to healthy members (GODEL_PLACEMENT_MAX_LAG_MS, default 1000;
     * raise it on busy shared hosts where every member's loop lags now and then).
     */
    placementMaxLagMs: number;
  };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Request and correlation ids on every log line written inside a request or turn (GODEL_LOG_CONTEXT,
   * default on). It costs Node's async hooks on every promise of the process; off, lines carry only
   * the ids they name themselves.
   */
  logContext: boolean;
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
  /**
   * Worktree cleanup: every N ms, TTL of finished worktrees (GODEL_CLEANUP_EVERY_MS, GODEL_WORKTREE_TTL_MS);
   * on the same beat, mirrors of repository URLs under `$GODEL_HOME/mirrors` not used for
   * GODEL_MIRROR_TTL_DAYS (default 30, 0 = keep) are removed — never one a worktree is built on.
   */
  cleanup: { everyMs: number; ttlMs: number; keepFailed: boolean; mirrorTtlDays: number };
  /**
   * How long a URL team waits for its remote when it is down or refuses the credentials
   * (GODEL_REMOTE_WAIT_MS, default 10 min): past it the team fails with `remote.unavailable`.
   */
  remoteWaitMs: number;
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
  /** CPU niceness of sandboxed commands (GODEL_SANDBOX_NICE, 0–19, default 10): agents yield the CPU to the control plane. */
  sandboxNice: number;
  /**
   * Admission control of agent processes on this instance: process starts at once
   * (GODEL_AGENT_START_CONCURRENCY, default one per core: pi's start is CPU-bound) and live agents
   * (GODEL_MAX_AGENTS, default total memory less 1 GiB at ~180 MB per sandboxed pi). Starts beyond either wait
   * in a queue (`agent.queued`) instead of timing out.
   */
  agents: { startConcurrency: number; maxAgents: number; pool: AgentPoolConfig };
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
  /**
   * How long a verified access token is remembered (GODEL_AUTH_CACHE_MS, default 30 s, 0 = off):
   * the signature is not checked again within it; revocation and expiry still are, on every request.
   */
  verifiedCacheMs?: number;
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
