/** A Redis or PostgreSQL that a Godel process uses. */
export interface LocalService {
  /** Connection URL (may hold a password: log it through `redactUrl`). */
  readonly url: string;
  /** True when this process started the server; `stop()` then ends it. False for a given URL. */
  readonly owned: boolean;
  /** PID of the server process this call started (owned services only). */
  readonly pid?: number;
  /** Ends the server this call started (exactly that PID) and waits for it; a no-op when not owned. Idempotent. */
  stop(): Promise<void>;
}

export type LogFn = (line: string) => void;

export interface EnsureRedisOptions {
  /** REDIS_URL from the caller's config; when set it is only checked, never started. */
  url?: string;
  /** Godel's local state folder; a private redis-server keeps its working dir under `homeDir/redis`. */
  homeDir: string;
  log?: LogFn;
  /** The server's whole environment (default `serverEnv()`: PATH, locale and time zone of this process, nothing else). */
  env?: Record<string, string | undefined>;
  /** Binary to start when no URL is given (default `redis-server`, looked up on PATH). */
  redisServerBin?: string;
  /** Bound on checking a given URL (default 3000 ms). */
  connectTimeoutMs?: number;
  /** Bound on starting a private redis-server until it answers PING (default 10000 ms). */
  startTimeoutMs?: number;
}

export interface EnsurePostgresOptions {
  /** DATABASE_URL from the caller's config; when set it is only checked, never started. */
  url?: string;
  /** Godel's local state folder; the embedded PostgreSQL lives in `homeDir/pg` (cluster in `homeDir/pg/data`). */
  homeDir: string;
  log?: LogFn;
  /** The server's and initdb's whole environment (default `serverEnv()`: PATH, locale and time zone, nothing else). */
  env?: Record<string, string | undefined>;
  /** Database created (if missing) and named in the returned URL (default `godel`). */
  database?: string;
  /** Bound on checking a given URL (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Bound on initdb + start until `select 1` answers (default 60000 ms). */
  startTimeoutMs?: number;
}
