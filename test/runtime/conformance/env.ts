import type { GodelConfig } from '@godel/config';
import type { RedisClient } from '@godel/runtime-redis';
import type { DataSource } from 'typeorm';

/** What the runtime conformance suites need: one Redis or a Redis Cluster, and PostgreSQL (a TestEnv fits). */
export interface RuntimeTestEnv {
  redisUrl: string;
  databaseUrl: string;
  keyPrefix: string;
  schema: string;
  config: GodelConfig;
  dataSource: DataSource;
  redis: RedisClient;
  cleanup(): Promise<void>;
}

export type MakeEnv = (runtime?: Partial<GodelConfig['runtime']>) => Promise<RuntimeTestEnv>;
