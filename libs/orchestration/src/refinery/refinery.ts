import { createHash } from 'node:crypto';
import type { EventLog } from '@godel/persistence';
import { DelayedError, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import Redlock from 'redlock';
import type { TraceCarrier } from '@godel/actors';
import { addSpanEvent, currentCarrier, SpanKind, withSpan } from '@godel/observability';
import type { Sandbox } from '@godel/sandbox';
import { isWorkspaceError, looksLikeUrl, type RepoMirrors } from '@godel/workspace';
import { mergeToTarget, verifyAt, type MergeOutcome } from './git-ops';
import type { MergeRequest } from './merge-types';
import { mergeToRemote, publishApproved, remoteFailureDetail } from './remote-merge';

/**
 * One approved task attempt waiting to be merged; or (`kind: 'baseline'`) the target's own
 * verification before a team starts, reported as `team.baseline_result`.
 */
export interface MergeJob {
  kind?: 'merge' | 'baseline';
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
  /** Failures the target had before the team started (see MergeRequest.baselineFailures). */
  baselineFailures?: string[];
  correlationId?: string;
  /** Trace context of the turn that queued the merge (set by enqueue): the merge is a span in that trace. */
  trace?: TraceCarrier;
  /** Set by the refinery: since when (ms) the remote has been down or refusing this merge. */
  remoteDownSince?: number;
}

/** The target's verification before any change (`team.baseline_result`). */
export interface BaselineResult {
  commit: string;
  ok: boolean;
  code: number | null;
  timedOut: boolean;
  output: string;
  failures: string[];
  ms: number;
}

export type MergeResult = (MergeOutcome | { kind: 'failed'; detail: string }) & { task: string; attempt: number; commit: string; queuedMs: number };

/** `envelope.from` of the refinery's `team.merge_result` (the team refuses one from anyone else); never set by a client. */
export const REFINERY_SENDER = 'system:refinery';

export interface RefineryOptions {
  connection: ConnectionOptions;
  /** Redis client for the per-repository lock (redlock). */
  lockClient: Redis | Cluster;
  /** BullMQ key prefix of this deployment; the lock keys live under it too. */
  prefix: string;
  /** Sends a message; `extra.from` must reach the envelope (the team checks it). */
  tell(to: string, type: string, payload: unknown, extra: { from: string }): Promise<void>;
  events?: EventLog;
  /** Merge jobs this instance runs at once (different repositories; one repository is serialized). */
  concurrency?: number;
  /** Tries of a merge that fails for a reason other than a conflict or a red check. */
  attempts?: number;
  backoffMs?: number;
  /**
   * How long a merge into a URL repository waits for a remote that is down, refuses the server's
   * credentials or refuses the push (default 10 min, GODEL_REMOTE_WAIT_MS): the job is delayed, not
   * charged a try, and fails with what to do only past this.
   */
  remoteWaitMs?: number;
  /** Disconnect `lockClient` on close (a client made for the refinery). */
  closeConnection?: boolean;
  /** The OS sandbox verifications run in (default: bubblewrap). */
  sandbox?: Sandbox;
  /** This instance's mirrors: jobs whose `repo` is a URL merge through them (see remote-merge.ts). */
  mirrors?: RepoMirrors;
  /** BullMQ's job lock (default 60 s): a job whose worker stopped renewing it runs again after this. */
  lockDurationMs?: number;
  /** How often this worker looks for such stalled jobs (BullMQ's default 30 s). */
  stalledIntervalMs?: number;
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
    // A dropped connection is retried by BullMQ; without a listener each error is printed as unhandled.
    this.queue.on('error', () => undefined);
    this.redlock = new Redlock([o.lockClient], { retryCount: -1, retryDelay: 150, retryJitter: 50, automaticExtensionThreshold: 2000 });
    this.redlock.on('error', () => undefined);
  }

  /** Starts this instance's worker (instances with the runtime role merge). */
  start(): void {
    this.worker = new Worker<MergeJob>(QUEUE, (job, token) => this.process(job, token ?? ''), {
      connection: this.o.connection,
      prefix: this.o.prefix,
      concurrency: this.o.concurrency ?? 4,
      lockDuration: this.o.lockDurationMs ?? 60_000,
      ...(this.o.stalledIntervalMs ? { stalledInterval: this.o.stalledIntervalMs } : {}),
    });
    this.worker.on('error', () => undefined);
    this.worker.on('failed', (job, err) => {
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      if (job.data.kind === 'baseline') {
        const failed: BaselineResult = { commit: job.data.commit, ok: false, code: null, timedOut: false, output: `the baseline verification could not run: ${err.message}`, failures: [err.message], ms: 0 };
        void this.o.tell(job.data.teamAddress, 'team.baseline_result', failed, { from: REFINERY_SENDER }).catch(() => undefined);
        return;
      }
      // A remote that refused or could not be reached: the detail names it and what to do.
      const detail = (looksLikeUrl(job.data.repo) ? remoteFailureDetail(err, job.data.repo, job.data.target, job.attemptsMade) : undefined) ?? err.message;
      void this.report(job, { kind: 'failed', detail }).catch(() => undefined);
    });
  }

  /** Queues a merge; the same task attempt queued twice is one job. */
  async enqueue(job: MergeJob): Promise<string> {
    const id = job.kind === 'baseline' ? `${job.team}.baseline` : `${job.team}.${job.task}.${job.attempt}`;
    // A URL repository: the approved commit goes to the remote first, so any instance can merge it.
    if (job.kind !== 'baseline' && looksLikeUrl(job.repo)) await publishApproved(this.mirrors(), job.repo, job.team, job.task, job.attempt, job.commit);
    const trace = job.trace ?? currentCarrier();
    await this.queue.add(job.kind ?? 'merge', trace ? { ...job, trace } : job, {
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

  /** How many merges wait, are delayed or run (the merge-queue-depth metric). */
  async depth(): Promise<number> {
    const c = await this.queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
    return Object.values(c).reduce((a, b) => a + b, 0);
  }

  /** Jobs waiting or merging, oldest first (for the API and dashboard). */
  async pending(): Promise<Array<{ id: string; state: string; team: string; task: string; repo: string; target: string; queuedAt: number; attemptsMade: number }>> {
    const jobs = await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, 200, true);
    const out = [];
    for (const j of jobs) out.push({ id: j.id ?? '', state: await j.getState(), team: j.data.team, task: j.data.task, repo: j.data.repo, target: j.data.target, queuedAt: j.timestamp, attemptsMade: j.attemptsMade });
    return out;
  }

  /**
   * `token`: BullMQ's lock token of this run of the job. A job whose worker died mid-run runs again
   * with the same try (a stalled job keeps attemptsMade) and a new token: its stage events carry
   * the token as `run`, so a reader tells a second run from the same event written twice.
   */
  private process(job: Job<MergeJob>, token: string): Promise<MergeOutcome | BaselineResult> {
    const d = job.data;
    if (d.kind === 'baseline') return this.baseline(d, token);
    const attributes = { 'godel.team': d.team, 'godel.task': d.task, 'godel.merge.attempt': d.attempt, 'godel.merge.try': job.attemptsMade + 1, 'godel.repo': d.repo, 'godel.target': d.target };
    return withSpan('refinery.merge', { kind: SpanKind.CONSUMER, parent: d.trace, attributes }, async (span) => {
      const outcome = await this.merge(job, token);
      span.setAttribute('godel.merge.outcome', outcome.kind);
      return outcome;
    });
  }

  private async merge(job: Job<MergeJob>, run: string): Promise<MergeOutcome> {
    const d = job.data;
    const lock = `${this.o.prefix}:refinery-lock:${createHash('sha1').update(d.repo).digest('hex').slice(0, 16)}:${d.target}`;
    const queuedMs = Date.now() - job.timestamp;
    const outcome = await this.whileRemoteWaits(job, run, () => this.redlock.using([lock], 10_000, async () => {
      await this.event(d, 'merge.started', { attempt: d.attempt, commit: d.commit, try: job.attemptsMade + 1, run, queuedMs });
      const common: Omit<MergeRequest, 'repo'> = {
        target: d.target,
        commit: d.commit,
        verify: d.verify,
        verifyTimeoutMs: d.verifyTimeoutMs,
        baselineFailures: d.baselineFailures,
        sandbox: this.o.sandbox,
        onStage: (stage, data) => {
          addSpanEvent(`merge.${stage}`, data);
          // `try` and `run` as in merge.started: a retried or re-run job's stages are new events, not the same ones twice.
          void this.event(d, `merge.${stage}`, { attempt: d.attempt, try: job.attemptsMade + 1, run, ...data }).catch(() => undefined);
        },
      };
      if (looksLikeUrl(d.repo)) return mergeToRemote({ ...common, url: d.repo, mirrors: this.mirrors(), team: d.team, task: d.task, attempt: d.attempt });
      return mergeToTarget({ ...common, repo: d.repo });
    }));
    if (outcome.kind === 'blocked') {
      await this.event(d, 'merge.blocked', { attempt: d.attempt, detail: outcome.detail, try: job.attemptsMade + 1, run });
      throw new Error(outcome.detail);
    }
    await this.report(job, outcome);
    return outcome;
  }

  /**
   * Runs a merge; when its remote is down or refuses (credentials, a hook) the job waits: it is
   * delayed (up to 15 s at a time) without being charged a try, said in `merge.remote_waiting`, until
   * `remoteWaitMs` after the first such failure — past it the error goes on to the job's tries.
   */
  private async whileRemoteWaits<T>(job: Job<MergeJob>, run: string, merge: () => Promise<T>): Promise<T> {
    try {
      return await merge();
    } catch (err) {
      const remoteDown = (['workspace.unreachable', 'workspace.auth_failed', 'workspace.push_refused'] as const).some((code) => isWorkspaceError(err, code));
      if (!remoteDown || !looksLikeUrl(job.data.repo)) throw err;
      const now = Date.now();
      const since = job.data.remoteDownSince ?? now;
      if (now - since >= (this.o.remoteWaitMs ?? 600_000)) throw err;
      const waits = Math.round((now - since) / 1000);
      if (job.data.remoteDownSince === undefined) await job.updateData({ ...job.data, remoteDownSince: since });
      const delayMs = Math.min(15_000, 1_000 * 2 ** Math.min(4, Math.floor(waits / 15)));
      // Best effort: a store outage at the same time must not turn the wait into a spent try.
      await this.event(job.data, 'merge.remote_waiting', { attempt: job.data.attempt, run, code: (err as { code: string }).code, error: (err as Error).message.slice(0, 300), waitedS: waits, retryInMs: delayMs }).catch(() => undefined);
      await job.moveToDelayed(now + delayMs, run);
      throw new DelayedError();
    }
  }

  /** The target's verification at the team's start commit: no lock (nothing is merged), any instance. */
  private async baseline(d: MergeJob, run: string): Promise<BaselineResult> {
    await this.event(d, 'baseline.started', { commit: d.commit, command: d.verify, run });
    const repo = looksLikeUrl(d.repo) ? await this.mirrors().ensure(d.repo) : d.repo;
    const r = await verifyAt(repo, d.commit, d.verify ?? 'true', d.verifyTimeoutMs, { sandbox: this.o.sandbox });
    const result: BaselineResult = { commit: d.commit, ok: r.ok, code: r.code, timedOut: r.timedOut, output: r.output.slice(-4000), failures: r.failures, ms: r.ms };
    await this.o.tell(d.teamAddress, 'team.baseline_result', result, { from: REFINERY_SENDER });
    return result;
  }

  private mirrors(): RepoMirrors {
    if (!this.o.mirrors) throw new Error('this refinery has no repository mirrors configured (RefineryOptions.mirrors): it cannot merge into a URL repository');
    return this.o.mirrors;
  }

  private async report(job: Job<MergeJob>, outcome: MergeOutcome | { kind: 'failed'; detail: string }): Promise<void> {
    const d = job.data;
    const result: MergeResult = { ...outcome, task: d.task, attempt: d.attempt, commit: d.commit, queuedMs: Date.now() - job.timestamp };
    const { output, ...brief } = result as MergeResult & { output?: string };
    // One outcome per merge attempt: a run repeated after its worker died between the push and the
    // job's completion finds the work merged and reports it again; the log keeps the first report.
    await this.event(d, `merge.${outcome.kind}`, { ...brief, output: output?.slice(-2000) }, `merge-outcome/${d.team}/${d.task}/${d.attempt}`);
    await this.o.tell(d.teamAddress, 'team.merge_result', result, { from: REFINERY_SENDER });
  }

  private async event(d: MergeJob, type: string, data: Record<string, unknown>, idemKey?: string): Promise<void> {
    await this.o.events?.append({ type, team: d.team, correlationId: d.correlationId, data: { task: d.task, repo: d.repo, target: d.target, ...data }, ...(idemKey ? { idemKey } : {}) });
  }

  /**
   * Stops this instance's worker at once, its jobs in flight left running without their lock (what a
   * frozen or partitioned instance looks like to the others; tests of re-runs use it).
   */
  async abandon(): Promise<void> {
    await this.worker?.close(true);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    if (this.o.closeConnection) this.o.lockClient.disconnect();
  }
}
