import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RuntimeStats } from '@godel/actors';

/** Prometheus metrics of one instance (prom-client): process defaults, runtime gauges, runtime events by type. */
export class RuntimeMetrics {
  readonly registry = new Registry();
  private readonly events: Counter;
  private stats?: () => RuntimeStats;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'godel_' });
    this.events = new Counter({ name: 'godel_runtime_events_total', help: 'Actor runtime events by type', labelNames: ['type'], registers: [this.registry] });
    const gauges: Array<[string, string, (s: RuntimeStats) => number]> = [
      ['godel_owned_shards', 'Shards whose lease this instance holds', (s) => s.ownedShards.length],
      ['godel_activations', 'Live actor activations', (s) => s.activations],
      ['godel_in_flight_messages', 'Messages read and not yet settled', (s) => s.inFlight],
      ['godel_pending_asks', 'Asks waiting for a reply', (s) => s.pendingAsks],
    ];
    for (const [name, help, pick] of gauges) {
      const read = () => this.stats;
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const stats = read();
          if (stats) this.set(pick(stats()));
        },
      });
    }
  }

  bind(stats: () => RuntimeStats): void {
    this.stats = stats;
  }

  count(type: string): void {
    this.events.inc({ type });
  }
}
