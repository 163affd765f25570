import { randomBytes } from 'node:crypto';
import { loadConfig, type GodelConfig } from '@godel/config';
import { openDatabase } from '@godel/persistence';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';

export interface TestEnv {
  redisUrl: string;
  databaseUrl: string;
  /** Random per test file: Redis keys and the PostgreSQL schema never collide between runs. */
  keyPrefix: string;
  schema: string;
  config: GodelConfig;
  /** The bootstrap admin key in `config` (GODEL_ADMIN_KEY of an in-process server). */
  adminKey: string;
  dataSource: DataSource;
  redis: Redis;
  cleanup(): Promise<void>;
}

/**
 * A real Redis and PostgreSQL for integration tests (REDIS_URL / DATABASE_URL, defaulting to the
 * services .ci/run starts), isolated by a random key prefix and schema, removed by cleanup().
 */
export async function createTestEnv(runtime: Partial<GodelConfig['runtime']> = {}): Promise<TestEnv> {
  const tag = randomBytes(4).toString('hex');
  const base = loadConfig();
  const redisUrl = base.redisUrl ?? 'redis://127.0.0.1:6379';
  const databaseUrl = base.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test';
  const keyPrefix = `t${tag}`;
  const schema = `t_${tag}`;
  // Secrets of an in-process server built from this config (AppModule.forRoot(env.config)).
  const adminKey = `gdk_${randomBytes(32).toString('base64url')}`;
  const auth = { ...base.auth, adminKey, jwtSecret: randomBytes(32).toString('base64url') };
  const config: GodelConfig = { ...base, redisUrl, databaseUrl, keyPrefix, dbSchema: schema, runtime: { ...base.runtime, ...runtime }, auth };
  const dataSource = await openDatabase({ url: databaseUrl, schema, poolSize: 10 });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  return {
    redisUrl,
    databaseUrl,
    keyPrefix,
    schema,
    config,
    adminKey,
    dataSource,
    redis,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
      if (dataSource.isInitialized) {
        await dataSource.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await dataSource.destroy();
      }
    },
  };
}
