import { availableParallelism, totalmem } from 'node:os';
import type { GodelConfig } from './config-types';
import { redisUrlFromEnv } from './redis-url';
import { parsePoolSizes } from './agent-pool';
import { ConfigError, apiUrl, bool, host, int, name, otlpEndpoint, providers, ratio, repoRoots, sandboxMode, secret, type Env } from './env-parsers';

export type { AuthConfig, GodelConfig, ProviderConfig } from './config-types';
export { ConfigError } from './env-parsers';

/** The typed configuration from `env` (default the process environment), read when called, never at import time. */
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
    redisUrl: redisUrlFromEnv(env, (message) => new ConfigError(message)),
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
      redisPipeline: bool(env, 'GODEL_REDIS_PIPELINE', true),
      placementMaxLagMs: int(env, 'GODEL_PLACEMENT_MAX_LAG_MS', 1000, 10, 600_000),
    },
    logLevel: level as GodelConfig['logLevel'],
    logContext: bool(env, 'GODEL_LOG_CONTEXT', true),
    otel: { endpoint: otlpEndpoint(env), serviceName: env.OTEL_SERVICE_NAME || 'godel', sampleRatio: ratio(env, 'OTEL_TRACES_SAMPLER_ARG', 1) },
    providers: providers(env),
    scriptsDir: env.GODEL_SCRIPTS_DIR || undefined,
    playbook: env.GODEL_PLAYBOOK || undefined,
    cleanup: {
      everyMs: int(env, 'GODEL_CLEANUP_EVERY_MS', 10 * 60_000, 1000, 86_400_000),
      ttlMs: int(env, 'GODEL_WORKTREE_TTL_MS', 7 * 86_400_000, 0, 365 * 86_400_000),
      keepFailed: bool(env, 'GODEL_KEEP_FAILED_WORKTREES', true),
      mirrorTtlDays: int(env, 'GODEL_MIRROR_TTL_DAYS', 30, 0, 36_500),
    },
    maintenanceEveryMs: int(env, 'GODEL_MAINTENANCE_EVERY_MS', 60_000, 1000, 86_400_000),
    remoteWaitMs: int(env, 'GODEL_REMOTE_WAIT_MS', 600_000, 1000, 86_400_000),
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
      verifiedCacheMs: int(env, 'GODEL_AUTH_CACHE_MS', 30_000, 0, 3_600_000),
    },
    cli: {
      credentialsFile: env.GODEL_HOME ? `${env.GODEL_HOME.replace(/\/+$/, '')}/credentials.json` : `${env.HOME ?? '/tmp'}/.godel/credentials.json`,
      url: apiUrl(env),
      apiKey: env.GODEL_API_KEY || undefined,
    },
    sandbox: sandboxMode(env.GODEL_SANDBOX),
    sandboxNice: int(env, 'GODEL_SANDBOX_NICE', 10, 0, 19),
    agents: {
      startConcurrency: int(env, 'GODEL_AGENT_START_CONCURRENCY', Math.max(1, availableParallelism()), 1, 1024),
      maxAgents: int(env, 'GODEL_MAX_AGENTS', Math.max(1, Math.floor((totalmem() - 1024 ** 3) / (180 * 1024 ** 2))), 1, 100_000),
      pool: { size: int(env, 'GODEL_AGENT_POOL_SIZE', 0, 0, 1000), sizes: parsePoolSizes(env.GODEL_AGENT_POOL_SIZES, (m) => new ConfigError(m)), max: env.GODEL_AGENT_POOL_MAX ? int(env, 'GODEL_AGENT_POOL_MAX', 0, 0, 100_000) : undefined, idleMs: int(env, 'GODEL_AGENT_POOL_IDLE_MS', 600_000, 0, 86_400_000) },
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
