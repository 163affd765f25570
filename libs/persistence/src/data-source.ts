import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ActorStateEntity } from './entities/actor-state.entity';
import { ShardFenceEntity, ShardLeaseLogEntity } from './entities/shard-fence.entity';
import { AgentSessionEntity, EventEntity } from './entities/event.entity';
import { ActorRuntime1764115200000 } from './migrations/1764115200000-actor-runtime';
import { EventsAndSessions1764118800000 } from './migrations/1764118800000-events-and-sessions';
import { Auth1764201600000 } from './migrations/1764201600000-auth';
import { RepositoriesRetention1764374400000 } from './migrations/1764374400000-repositories-retention';
import { EventIdempotency1764460800000 } from './migrations/1764460800000-event-idempotency';
import { BusyAgentsIndex1764547200000 } from './migrations/1764547200000-busy-agents-index';

export const ENTITIES = [ActorStateEntity, ShardFenceEntity, ShardLeaseLogEntity, EventEntity, AgentSessionEntity];
export const MIGRATIONS = [ActorRuntime1764115200000, EventsAndSessions1764118800000, Auth1764201600000, RepositoriesRetention1764374400000, EventIdempotency1764460800000, BusyAgentsIndex1764547200000];

export interface DatabaseOptions {
  url: string;
  schema: string;
  poolSize?: number;
  /** Run pending migrations on open (default true). Never `synchronize`. */
  migrate?: boolean;
  /**
   * false = `synchronous_commit=off` for this pool: commits return before the WAL is flushed, so a
   * PostgreSQL crash (not a Godel crash) can lose the last few hundred ms of commits. Default true.
   */
  synchronousCommit?: boolean;
}

/**
 * Opens Godel's database: creates the schema if missing, pins the pool's search_path to it and runs
 * the migrations. Tables are only ever created by migrations.
 */
export async function openDatabase(o: DatabaseOptions): Promise<DataSource> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(o.schema)) throw new Error(`invalid schema name "${o.schema}"`);
  const boot = new Client({ connectionString: o.url, connectionTimeoutMillis: 5000 });
  await boot.connect();
  try {
    await boot.query(`CREATE SCHEMA IF NOT EXISTS ${o.schema}`);
  } finally {
    await boot.end();
  }
  const ds = new DataSource({
    type: 'postgres',
    url: o.url,
    schema: o.schema,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    extra: {
      max: o.poolSize ?? 10,
      options: `-c search_path=${o.schema}${o.synchronousCommit === false ? ' -c synchronous_commit=off' : ''}`,
      connectionTimeoutMillis: 5000,
    },
  });
  await ds.initialize();
  if (o.migrate !== false) await ds.runMigrations({ transaction: 'each' });
  return ds;
}
