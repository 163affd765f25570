export { loadConfig, ConfigError, inheritedEnv } from './godel-config';
export type { GodelConfig, ProviderConfig, AuthConfig } from './godel-config';
export {
  ensureRedis,
  checkRedisUrl,
  ensurePostgres,
  checkPostgresUrl,
  LocalServiceError,
  isLocalServiceError,
  redactUrl,
} from './local-services';
export type { LocalService, EnsureRedisOptions, EnsurePostgresOptions, LogFn, LocalServiceErrorCode } from './local-services';
