import type { GodelConfig } from '@godel/config';
import { ensurePostgres, ensureRedis, redactUrl, type LocalService } from './local-services';
import type { Lifecycle } from './lifecycle';
import type { Output } from './output';

export interface Services {
  redis: LocalService;
  postgres: LocalService;
}

/**
 * Redis and PostgreSQL for a command: REDIS_URL / DATABASE_URL when set (checked), else a private
 * redis-server and an embedded PostgreSQL under the Godel home folder, stopped by the lifecycle.
 * Throws LocalServiceError (exit 3) with a message that says what to install or set.
 */
export async function resolveServices(config: GodelConfig, out: Output, life: Lifecycle): Promise<Services> {
  const log = (line: string) => out.progress(`  ${line}`);
  out.progress(config.redisUrl ? `Redis: checking REDIS_URL ${redactUrl(config.redisUrl)}` : `Redis: REDIS_URL is not set, starting a private redis-server (home ${config.homeDir})`);
  const redis = await ensureRedis({ url: config.redisUrl, homeDir: config.homeDir, log });
  if (redis.owned) life.defer('stop the private redis-server', () => redis.stop());
  out.progress(
    config.databaseUrl
      ? `PostgreSQL: checking DATABASE_URL ${redactUrl(config.databaseUrl)}`
      : `PostgreSQL: DATABASE_URL is not set, starting the embedded PostgreSQL (data in ${config.homeDir}/pg)`,
  );
  const postgres = await ensurePostgres({ url: config.databaseUrl, homeDir: config.homeDir, log });
  if (postgres.owned) life.defer('stop the embedded PostgreSQL', () => postgres.stop(), 30_000);
  return { redis, postgres };
}
