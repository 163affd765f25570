import type { EventLog } from '@godel/persistence';
import type { Sandbox } from '@godel/sandbox';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { git, isGitRepo, revParse, verifyAt } from './refinery/git-ops';
import type { IntentRequest } from './intent-service';

export interface MaintenanceOptions {
  connection: ConnectionOptions;
  /** Where the last verdict per repository + branch is kept (a Redis hash under `prefix`). */
  redis: Redis | Cluster;
  /** BullMQ prefix (default `<prefix>:bull`; a hash tag on a Redis Cluster). */
  bullPrefix?: string;
  prefix: string;
  everyMs: number;
  /**
   * Repositories an admin opted in, with the verification to run (the registry's settings). A
   * repository's own `.godel.yaml` cannot opt itself in: what an agent can commit must not schedule commands.
   */
  repos(): Promise<Array<{ path: string; verify: string }>>;
  /** Starts a team for an intent; resolves with its name. */
  startIntent(req: IntentRequest): Promise<{ team: string }>;
  /** A team's status, to know whether a maintenance team is still at work. */
  teamStatus(team: string): Promise<string | undefined>;
  events?: EventLog;
  verifyTimeoutMs?: number;
  /** Disconnect `connection` on close (a client made for the watcher). */
  closeConnection?: boolean;
  /** The OS sandbox the checks run in (default: bubblewrap). */
  sandbox?: Sandbox;
}

interface Verdict {
  tip: string;
  state: 'green' | 'red';
  team?: string;
}

export interface MaintenanceReport {
  repo: string;
  target?: string;
  action: 'skipped' | 'green' | 'red.team_formed' | 'team_at_work' | 'unchanged' | 'error';
  team?: string;
  detail?: string;
}

const ACTIVE = new Set(['new', 'planning', 'running']);

/**
 * Autonomic maintenance, opt-in per repository by an admin (a registered repository with
 * `maintenance` and `verify`; `.godel.yaml` is not read here): a BullMQ repeatable job runs the verification on the target's tip
 * whenever the tip changed; when it is red and no maintenance team is at work, a team is formed with
 * the failure as its intent. Every verdict change and every team formed is an event.
 */
export class MaintenanceWatcher {
  private readonly queue: Queue;
  private worker?: Worker;

  constructor(private readonly o: MaintenanceOptions) {
    this.queue = new Queue('maintenance', { connection: o.connection, prefix: o.bullPrefix ?? `${o.prefix}:bull` });
    // A dropped connection is retried by BullMQ; without a listener each error is printed as unhandled.
    this.queue.on('error', () => undefined);
  }

  async start(): Promise<void> {
    await this.queue.upsertJobScheduler('maintenance', { every: this.o.everyMs }, { name: 'check', opts: { removeOnComplete: 50, removeOnFail: 50 } });
    this.worker = new Worker('maintenance', () => this.runOnce(), { connection: this.o.connection, prefix: this.o.bullPrefix ?? `${this.o.prefix}:bull`, concurrency: 1 });
    this.worker.on('error', () => undefined);
  }

  /** One pass over every known repository. */
  async runOnce(): Promise<MaintenanceReport[]> {
    const out: MaintenanceReport[] = [];
    const seen = new Set<string>();
    for (const { path: repo, verify } of await this.o.repos()) {
      if (seen.has(repo)) continue;
      seen.add(repo);
      try {
        out.push(await this.check(repo, verify));
      } catch (err) {
        out.push({ repo, action: 'error', detail: (err as Error).message });
        await this.event('maintenance.check_failed', { repo, error: (err as Error).message });
      }
    }
    return out;
  }

  private async check(repo: string, verify: string): Promise<MaintenanceReport> {
    if (!(await isGitRepo(repo))) throw new Error(`${repo} is not a git repository (any more)`);
    const cfg = { verify };
    const target = await git(repo, 'symbolic-ref', '--short', 'HEAD');
    const tip = await revParse(repo, `refs/heads/${target}`);
    if (!tip) return { repo, target, action: 'skipped', detail: 'no target tip' };
    const key = `${this.o.prefix}:maintenance`;
    const field = `${repo}|${target}`;
    const raw = await this.o.redis.hget(key, field);
    const last = raw ? (JSON.parse(raw) as Verdict) : undefined;
    if (last?.team && ACTIVE.has((await this.o.teamStatus(last.team)) ?? 'new')) return { repo, target, action: 'team_at_work', team: last.team };
    if (last?.tip === tip) return { repo, target, action: 'unchanged' };
    const r = await verifyAt(repo, tip, cfg.verify, this.o.verifyTimeoutMs ?? 600_000, { sandbox: this.o.sandbox });
    if (r.ok) {
      if (last?.state === 'red') await this.event('maintenance.green', { repo, target, tip, fixedBy: last.team ?? null });
      await this.o.redis.hset(key, field, JSON.stringify({ tip, state: 'green' } satisfies Verdict));
      return { repo, target, action: 'green' };
    }
    await this.event('maintenance.red', { repo, target, tip, command: cfg.verify, exit: r.code, output: r.output.slice(-2000) });
    const intent = [
      `Make the verification of branch ${target} green again.`,
      `\`${cfg.verify}\` fails at ${tip.slice(0, 12)} (exit ${r.code ?? 'timeout'}). Its output ends with:`,
      r.output.slice(-3000),
    ].join('\n');
    const { team } = await this.o.startIntent({ intent, repo, target, verify: cfg.verify });
    await this.o.redis.hset(key, field, JSON.stringify({ tip, state: 'red', team } satisfies Verdict));
    await this.event('maintenance.team_formed', { repo, target, tip, team }, team);
    return { repo, target, action: 'red.team_formed', team };
  }

  private async event(type: string, data: Record<string, unknown>, team?: string): Promise<void> {
    await this.o.events?.append({ type, team, data });
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    if (this.o.closeConnection && typeof (this.o.connection as { disconnect?: unknown }).disconnect === 'function') (this.o.connection as Redis).disconnect();
  }
}
