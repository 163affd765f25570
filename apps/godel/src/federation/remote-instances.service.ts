import { NotFound } from '../http/validate';
import type { AgentDiffs } from './agent-diff';
import type { FederationService } from './federation.service';
import type { InstanceRpc } from './instance-rpc';
import type { WorktreeDiff } from './worktree-diff';

/**
 * Answers that live on another instance's disk or process: an instance's process stats, an agent's
 * worktree diff (from the instance whose lease holds the agent's shard). The caller was authorized by
 * this instance; the hop is instance RPC. Controllers reach the runtime only through services like this.
 */
export class RemoteInstancesService {
  constructor(private readonly d: { federation: FederationService; rpc: InstanceRpc; diffs: AgentDiffs }) {}

  /** A live member's process stats (memory, CPU, event-loop lag, agents, shards); 404 for another id. */
  async stats(id: string): Promise<Record<string, unknown>> {
    const view = await this.d.federation.view();
    if (!view.members.some((m) => m.id === id && m.live)) throw new NotFound(`unknown instance ${id}`);
    return this.d.rpc.call<Record<string, unknown>>(id, 'stats', {});
  }

  /** The live diff of an agent's worktree, from the instance hosting it (`AgentDiffs`: 404 unknown, 503 while its host is gone or its shard moves). */
  diff(team: string, name: string): Promise<WorktreeDiff> {
    return this.d.diffs.diff(team, name);
  }
}
