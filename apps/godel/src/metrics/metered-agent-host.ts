import { Gauge } from 'prom-client';
import { AgentProcessHost, type AdmissionStats, type AgentHostDeps, type SpawnSpec } from '@godel/agents';
import type { RuntimeMetrics } from './runtime-metrics';

/**
 * The agent process host, with each process start timed into `godel_agent_spawn_duration_seconds`
 * and its admission control's capacity as gauges (what placement across instances needs).
 */
export class MeteredAgentHost extends AgentProcessHost {
  constructor(
    deps: AgentHostDeps,
    private readonly metrics: RuntimeMetrics,
  ) {
    super(deps);
    const capacity = () => this.capacity();
    const gauges: Array<[string, string, (c: AdmissionStats) => number]> = [
      ['godel_agents_max', 'Live agent processes this instance admits at most (GODEL_MAX_AGENTS)', (c) => c.maxAgents],
      ['godel_agents_live', 'Agent processes running on this instance', (c) => c.live],
      ['godel_agent_starts_in_progress', 'Agent processes starting (spawned, not yet ready)', (c) => c.starting],
      ['godel_agent_starts_queued', 'Agent starts waiting for a start slot (admission control)', (c) => c.queued],
    ];
    for (const [name, help, pick] of gauges) {
      new Gauge({
        name,
        help,
        registers: [metrics.registry],
        collect() {
          this.set(pick(capacity()));
        },
      });
    }
  }

  override async spawn(agent: string, spec: SpawnSpec): Promise<void> {
    if (this.has(agent)) return;
    const end = this.metrics.spawns.startTimer();
    try {
      await super.spawn(agent, spec);
      end({ outcome: 'ok' });
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  }
}
