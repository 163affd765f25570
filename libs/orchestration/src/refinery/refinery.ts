import { createHash } from 'node:crypto';
import type { EventLog } from '@godel/persistence';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import Redlock from 'redlock';
import type { Sandbox } from '@godel/sandbox';
import { mergeToTarget, type MergeOutcome } from './git-ops';

/** One approved task attempt waiting to be merged. */
export interface MergeJob {
  team: string;
  /** The team actor's address, told the outcome (`team.merge_result`). */
  teamAddress: string;
  task: string;
  /** The task's merge attempt; the team ignores outcomes of older attempts. */
  attempt: number;
  repo: string;
  target: string;
  commit: string;
  verify?: string;
  verifyTimeoutMs: number;
  correlationId?: string;
}

export type MergeResult = (MergeOutcome | { kind: 'failed'; detail: string }) & { task: string; attempt: number; commit: string; queuedMs: number };

export interface RefineryOptions {
  connection: ConnectionOptions;
  /** Redis client for the per-repository lock (redlock). */
  lockClient: Redis;
  /** BullMQ key prefix of this deployment; the lock keys live under it too. */
  prefix: string;
  tell(to: string, type: string, payload: unknown): Promise<void>;
  events?: EventLog;
  /** Merge jobs this instance runs at once (different repositories; one repository is serialized). */
  concurrency?: number;
  /** Tries of a merge that fails for a reason other than a conflict or a red check. */
  attempts?: number;
  backoffMs?: number;
  /** Disconnect `lockClient` on close (a client made for the refinery). */
  closeConnection?: boolean;
  /** The OS sandbox verifications run in (default: bubblewrap). */
  sandbox?: Sandbox;
}

const QUEUE = 'refinery';

/**
 * The merge queue supervisor: one BullMQ queue for the deployment, serialized per repository and
 * target branch by a redlock lock, so two instances never merge into the same branch at once.
 * A job rebases the approved commit onto the target, runs the repository's verification and
 * fast-forwards the target (a compare-and-swap); the outcome goes back to the team actor. A job
 * that fails otherwise (target checked out dirty, a moved branch, a crashed instance — BullMQ
 * re-runs stalled jobs) is retried with backoff and, past its attempts, reported as failed.
 */
export class Refinery {
  private readonly queue: Queue<MergeJob>;
  private worker?: Worker<MergeJob>;
  private readonly redlock: Redlock;

  constructor(private readonly o: RefineryOptions) {
    this.queue = new Queue<MergeJob>(QUEUE, { connection: o.connection, prefix: o.prefix });
    this.redlock = new Redlock([o.lockClient], { retryCount: -1, retryDelay: 150, retryJitter: 50, automaticExtensionThreshold: 2000 });
    this.redlock.on('error', () => undefined);
  }

  /** Starts this instance's worker (instances with the runtime role merge). */
  start(): void {
    this.worker = new Worker<MergeJob>(QUEUE, (job) => this.process(job), {
      connection: this.o.connection,
      prefix: this.o.prefix,
      concurrency: this.o.concurrency ?? 4,
      lockDuration: 60_000,
    });
    this.worker.on('error', () => undefined);
    this.worker.on('failed', (job, err) => {
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      void this.report(job, { kind: 'failed', detail: err.message }).catch(() => undefined);
    });
  }

  /** Queues a merge; the same task attempt queued twice is one job. */
  async enqueue(job: MergeJob): Promise<string> {
    const id = `${job.team}.${job.task}.${job.attempt}`;
    await this.queue.add('merge', job, {
      jobId: id,
      attempts: this.o.attempts ?? 5,
      backoff: { type: 'exponential', delay: this.o.backoffMs ?? 1000 },
      removeOnComplete: 1000,
      removeOnFail: 1000,
    });
    return id;
  }

  /** Removes a team's merges that have not started; returns how many. A running one finishes. */
  async withdraw(team: string): Promise<number> {
    let n = 0;
    for (const j of await this.queue.getJobs(['waiting', 'delayed', 'prioritized'], 0, 1000, true)) {
      if (j.data.team !== team) continue;
      await j.remove().then(
        () => n++,
        () => undefined, // it started meanwhile: it finishes and is recorded
      );
    }
    return n;
  }

  /** Jobs waiting or merging, oldest first (for the API and dashboard). */
  async pending(): Promise<Array<{ id: string; state: string; team: string; task: string; repo: string; target: string; queuedAt: number; attemptsMade: number }>> {
    const jobs = await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, 200, true);
    const out = [];
    for (const j of jobs) out.push({ id: j.id ?? '', state: await j.getState(), team: j.data.team, task: j.data.task, repo: j.data.repo, target: j.data.target, queuedAt: j.timestamp, attemptsMade: j.attemptsMade });
    return out;
  }

  private async process(job: Job<MergeJob>): Promise<MergeOutcome> {
    const d = job.data;
    const lock = `${this.o.prefix}:refinery-lock:${createHash('sha1').update(d.repo).digest('hex').slice(0, 16)}:${d.target}`;
    const queuedMs = Date.now() - job.timestamp;
    const outcome = await this.redlock.using([lock], 10_000, async () => {
      await this.event(d, 'merge.started', { attempt: d.attempt, commit: d.commit, try: job.attemptsMade + 1, queuedMs });
      return mergeToTarget({
        repo: d.repo,
        target: d.target,
        commit: d.commit,
        verify: d.verify,
        verifyTimeoutMs: d.verifyTimeoutMs,
        sandbox: this.o.sandbox,
        onStage: (stage, data) => void this.event(d, `merge.${stage}`, { attempt: d.attempt, ...data }).catch(() => undefined),
      });
    });
    if (outcome.kind === 'blocked') {
      await this.event(d, 'merge.blocked', { attempt: d.attempt, detail: outcome.detail, try: job.attemptsMade + 1 });
      throw new Error(outcome.detail);
    }
    await this.report(job, outcome);
    return outcome;
  }

  private async report(job: Job<MergeJob>, outcome: MergeOutcome | { kind: 'failed'; detail: string }): Promise<void> {
    const d = job.data;
    const result: MergeResult = { ...outcome, task: d.task, attempt: d.attempt, commit: d.commit, queuedMs: Date.now() - job.timestamp };
    const { output, ...brief } = result as MergeResult & { output?: string };
    await this.event(d, `merge.${outcome.kind}`, { ...brief, output: output?.slice(-2000) });
    await this.o.tell(d.teamAddress, 'team.merge_result', result);
  }

  private async event(d: MergeJob, type: string, data: Record<string, unknown>): Promise<void> {
    await this.o.events?.append({ type, team: d.team, correlationId: d.correlationId, data: { task: d.task, repo: d.repo, target: d.target, ...data } });
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    if (this.o.closeConnection) this.o.lockClient.disconnect();
  }
}
