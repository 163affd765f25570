import { agentAddress } from '@godel/agents';
import { parseActorId, shardOf } from '@godel/actors';
import type { AgentQueries } from '@godel/persistence';
import { NotFound } from '../http/validate';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { InstanceUnavailableError } from './federation-errors';
import type { InstanceRpc } from './instance-rpc';
import type { WorktreeDiff } from './worktree-diff';

/** A diff is a local git call on the host: a host that takes longer is treated as unavailable. */
const DIFF_TIMEOUT_MS = 3000;

/**
 * `GET /api/v1/agents/:team/:name/diff` from any instance: the agent's shard holder (the instance
 * whose disk has its worktree) answers over instance RPC. Unknown agent → 404; a holder that is
 * gone (its RPC listener left Redis: answered at once), silent, or a shard between holders → 503
 * `federation.instance_unavailable` with Retry-After (about two leases: the shard has moved by then).
 */
export class AgentDiffs {
  constructor(private readonly d: { rt: BuiltRuntime; rpc: InstanceRpc; queries: AgentQueries; retryAfterS: number }) {}

  async diff(team: string, name: string): Promise<WorktreeDiff> {
    const agent = agentAddress(team, name);
    const status = await this.d.queries.status(agent);
    if (status === undefined || status === 'new') throw new NotFound(`no agent ${team}/${name}`);
    const shard = shardOf(parseActorId(agent), this.d.rt.system.shardCount);
    const lease = await this.d.rt.leases.holder(shard);
    if (!lease) throw new InstanceUnavailableError(`agent ${team}/${name} is not hosted right now (shard ${shard} is moving); retry`, { shard, retryAfterS: this.d.retryAfterS });
    return this.d.rpc.call<WorktreeDiff>(lease.owner, 'diff', { agent }, DIFF_TIMEOUT_MS);
  }
}
