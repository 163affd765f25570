export { ensureRedis, checkRedisUrl } from './redis';
export { ensurePostgres, checkPostgresUrl } from './postgres';
export { LocalServiceError, isLocalServiceError } from './local-service-error';
export type { LocalServiceErrorCode } from './local-service-error';
export type { LocalService, EnsureRedisOptions, EnsurePostgresOptions, LogFn } from './types';
export { redactUrl } from './process-utils';
export { serverEnv } from './child-env';
