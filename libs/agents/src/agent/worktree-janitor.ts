import type { EventLog } from '@godel/persistence';
import { looksLikeUrl, WorktreeManager, type CleanupPolicy, type CleanupReport } from '@godel/workspace';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { agentAddress } from './messages';

export interface WorktreeJanitorOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix of this deployment. */
  prefix: string;
  worktreesRoot: string;
  policy: CleanupPolicy;
  everyMs: number;
  /** Repositories agents work in. */
  repos(): Promise<string[]>;
  /** Status of an agent actor from its committed state; live ones are never cleaned. */
  agentStatus(address: string): Promise<string | undefined>;
  events?: EventLog;
  /** Disconnect `connection` on close (when it is a client made for the janitor). */
  closeConnection?: boolean;
}

const LIVE = new Set(['preparing', 'starting', 'running', 'idle']);

/**
 * Worktree cleanup as a BullMQ repeatable job (one schedule per deployment, whichever instance's
 * worker picks it up): merged, expired or orphaned worktrees go, failed ones stay for inspection
 * when the policy says so, and a live agent's worktree is never touched. Safe to run twice.
 */
export class WorktreeJanitor {
  private readonly queue: Queue;
  private worker?: Worker;

  constructor(private readonly o: WorktreeJanitorOptions) {
    this.queue = new Queue('worktree-cleanup', { connection: o.connection, prefix: o.prefix });
    // A dropped connection is retried by BullMQ; without a listener each error is printed as unhandled.
    this.queue.on('error', () => undefined);
  }

  async start(): Promise<void> {
    await this.queue.upsertJobScheduler('worktree-cleanup', { every: this.o.everyMs }, { name: 'cleanup', opts: { removeOnComplete: 100, removeOnFail: 100 } });
    this.worker = new Worker('worktree-cleanup', () => this.runOnce(), { connection: this.o.connection, prefix: this.o.prefix, concurrency: 1 });
    this.worker.on('error', () => undefined);
  }

  /**
   * One pass over every repository; returns what was removed and kept, per repository. A repository
   * that cannot be cleaned (deleted, not a repository any more) is reported — in its entry (`error`)
   * and as a `worktree.cleanup_failed` event — and the pass goes on with the next one.
   */
  async runOnce(): Promise<Record<string, CleanupReport & { error?: string }>> {
    const out: Record<string, CleanupReport & { error?: string }> = {};
    for (const repo of await this.o.repos()) {
      if (looksLikeUrl(repo)) continue; // issue 12: worktrees of URL repositories are per instance, removed by their agents (not yet by this deployment-wide job)
      const wm = new WorktreeManager({ repoPath: repo, worktreesRoot: this.o.worktreesRoot });
      let report: CleanupReport;
      try {
        report = await wm.cleanup({
          policy: this.o.policy,
          isLive: async (_agent, wt) => LIVE.has((await this.o.agentStatus(agentAddress(wt.team, wt.agent))) ?? ''),
        });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        out[repo] = { removed: [], kept: [], failed: [], error };
        await this.o.events?.append({ type: 'worktree.cleanup_failed', data: { repo, error } }).catch(() => undefined);
        continue;
      }
      out[repo] = report;
      for (const r of report.removed) {
        await this.o.events?.append({ type: 'worktree.removed', agent: agentAddress(r.team, r.agent), team: r.team, data: { path: r.path, reason: r.reason, branchDeleted: r.branchDeleted } });
      }
    }
    return out;
  }

  async scheduled(): Promise<number> {
    return (await this.queue.getJobSchedulers()).length;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    const c = this.o.connection as { disconnect?: () => void };
    if (this.o.closeConnection && typeof c.disconnect === 'function') c.disconnect();
  }
}
