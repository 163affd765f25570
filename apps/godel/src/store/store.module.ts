import { Module } from '@nestjs/common';
import type { GodelConfig } from '@godel/config';
import { AgentQueries, EventLog, RepoRegistry, SessionStore, openDatabase } from '@godel/persistence';
import type { DataSource } from 'typeorm';
import { MeteredEventLog } from '../metrics/metered-event-log';
import { MetricsModule } from '../metrics/metrics.module';
import { RuntimeMetrics } from '../metrics/runtime-metrics';
import { DATA_SOURCE, GODEL_CONFIG } from '../tokens';
import { Retention } from './retention';

/** PostgreSQL and the stores on it (libs/persistence): the event log, agent queries, registered repositories, sessions, retention. */
@Module({
  imports: [MetricsModule],
  providers: [
    {
      provide: DATA_SOURCE,
      inject: [GODEL_CONFIG],
      useFactory: (config: GodelConfig) => openDatabase({ url: config.databaseUrl!, schema: config.dbSchema, synchronousCommit: config.dbSynchronousCommit }),
    },
    { provide: EventLog, inject: [DATA_SOURCE, RuntimeMetrics], useFactory: (ds: DataSource, metrics: RuntimeMetrics) => new MeteredEventLog(ds, metrics) },
    { provide: AgentQueries, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new AgentQueries(ds) },
    { provide: RepoRegistry, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new RepoRegistry(ds) },
    { provide: SessionStore, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new SessionStore(ds) },
    { provide: Retention, inject: [DATA_SOURCE, EventLog, GODEL_CONFIG], useFactory: (ds: DataSource, events: EventLog, config: GodelConfig) => new Retention(ds, events, config.retention) },
  ],
  exports: [DATA_SOURCE, EventLog, AgentQueries, RepoRegistry, SessionStore, Retention],
})
export class StoreModule {}
