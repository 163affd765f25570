import { AgentProcessHost, type AgentHostDeps, type SpawnSpec } from '@godel/agents';
import type { RuntimeMetrics } from './runtime-metrics';

/** The agent process host, with each process start timed into `godel_agent_spawn_duration_seconds`. */
export class MeteredAgentHost extends AgentProcessHost {
  constructor(
    deps: AgentHostDeps,
    private readonly metrics: RuntimeMetrics,
  ) {
    super(deps);
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
