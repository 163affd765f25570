import { EventLog, type EventRecord } from '@godel/persistence';
import type { DataSource } from 'typeorm';
import type { RuntimeMetrics } from './runtime-metrics';

/** The event log, with every appended event also counted into the metrics (restarts, tokens, merges). */
export class MeteredEventLog extends EventLog {
  constructor(
    ds: DataSource,
    private readonly metrics: RuntimeMetrics,
  ) {
    super(ds);
  }

  override append(e: EventRecord): Promise<number> {
    this.metrics.observeEvent(e);
    return super.append(e);
  }
}
