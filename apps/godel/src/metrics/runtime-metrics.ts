import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RuntimeStats } from '@godel/actors';

/** Read at scrape time (cluster-wide numbers come from PostgreSQL/Redis and are the same on every instance). */
export interface MetricSources {
  stats(): RuntimeStats;
  /** Entries in the mailbox streams of the shards this instance owns. */
  mailboxDepth(): Promise<number>;
  /** Agents by committed status, cluster-wide (PostgreSQL). */
  agentsByState(): Promise<Record<string, number>>;
  /** Merge jobs waiting, delayed or running, cluster-wide (BullMQ). */
  mergeQueueDepth(): Promise<number>;
  /** Open SSE streams on this instance. */
  sseStreams(): number;
}

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LONG_SECONDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * Prometheus metrics of one instance, one prom-client registry (`GET /metrics`). The list, with
 * what each means, is in the README's Observe section; deploy/observability uses only these names
 * (test/observability pins it). Counters derived from events: runtime events (onEvent) and the event
 * log (`observeEvent`); gauges read at scrape time through `MetricSources`.
 */
export class RuntimeMetrics {
  readonly registry = new Registry();
  private readonly events: Counter;
  private sources?: MetricSources;
  readonly http: Histogram;
  readonly turns: Histogram;
  readonly mailboxWait: Histogram;
  private readonly commits: Histogram;
  private readonly commitRows: Histogram;
  private readonly activationsTotal: Counter;
  private readonly takeovers: Counter;
  readonly spawns: Histogram;
  private readonly restarts: Counter;
  private readonly tokens: Counter;
  private readonly cost: Counter;
  private readonly merges: Histogram;
  private readonly verifies: Histogram;
  private readonly mergeStarts = new Map<string, number>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'godel_' });
    this.events = new Counter({ name: 'godel_runtime_events_total', help: 'Actor runtime events by type', labelNames: ['type'], registers });
    this.http = new Histogram({ name: 'godel_http_request_duration_seconds', help: 'HTTP request latency by method, route template and status', labelNames: ['method', 'route', 'status'], buckets: SECONDS, registers });
    this.turns = new Histogram({ name: 'godel_actor_turn_duration_seconds', help: 'Actor turn latency (handler, commit and effects) by actor kind and outcome', labelNames: ['kind', 'outcome'], buckets: SECONDS, registers });
    this.mailboxWait = new Histogram({ name: 'godel_actor_mailbox_wait_seconds', help: "Time from a message's send to the start of its turn (transport, read, queue behind the actor's earlier messages), by actor kind", labelNames: ['kind'], buckets: SECONDS, registers });
    this.commits = new Histogram({ name: 'godel_state_commit_duration_seconds', help: 'Group commits of actor state: the round trip to PostgreSQL of one batch of turns', buckets: SECONDS, registers });
    this.commitRows = new Histogram({ name: 'godel_state_commit_rows', help: 'State writes (one per committed turn) per group commit of actor state', buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500], registers });
    this.activationsTotal = new Counter({ name: 'godel_actor_activations_total', help: 'Actor activations (state loaded) on this instance', labelNames: ['kind'], registers });
    this.takeovers = new Counter({ name: 'godel_lease_takeovers_total', help: 'Shard leases this instance acquired (each a new fencing epoch)', registers });
    this.spawns = new Histogram({ name: 'godel_agent_spawn_duration_seconds', help: 'Time to start a coding-agent process until it answers', labelNames: ['outcome'], buckets: LONG_SECONDS, registers });
    this.restarts = new Counter({ name: 'godel_agent_restarts_total', help: 'Agent processes restarted after an exit', registers });
    this.tokens = new Counter({ name: 'godel_tokens_total', help: 'Model tokens used by agents, by team and provider', labelNames: ['team', 'provider'], registers });
    this.cost = new Counter({ name: 'godel_cost_usd_total', help: 'Model cost in US dollars, by team and provider', labelNames: ['team', 'provider'], registers });
    this.merges = new Histogram({ name: 'godel_merge_duration_seconds', help: 'Refinery merge jobs (rebase, verify, fast-forward) by outcome', labelNames: ['outcome'], buckets: LONG_SECONDS, registers });
    this.verifies = new Histogram({ name: 'godel_verify_duration_seconds', help: "Repository verification runs in the refinery, by result", labelNames: ['outcome'], buckets: LONG_SECONDS, registers });

    const src = () => this.sources;
    const gauges: Array<[string, string, (s: RuntimeStats) => number]> = [
      ['godel_owned_shards', 'Shards whose lease this instance holds', (s) => s.ownedShards.length],
      ['godel_activations', 'Live actor activations', (s) => s.activations],
      ['godel_in_flight_messages', 'Messages read and not yet settled', (s) => s.inFlight],
      ['godel_pending_asks', 'Asks waiting for a reply', (s) => s.pendingAsks],
    ];
    for (const [name, help, pick] of gauges) {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = src();
          if (s) this.set(pick(s.stats()));
        },
      });
    }
    new Gauge({
      name: 'godel_mailbox_depth',
      help: 'Entries in the mailboxes of the shards this instance owns (unread + in flight)',
      registers,
      async collect() {
        const s = src();
        if (s) this.set(await s.mailboxDepth().catch(() => 0));
      },
    });
    new Gauge({
      name: 'godel_agents',
      help: 'Agents by committed status (cluster-wide, from PostgreSQL: aggregate with max)',
      labelNames: ['state'],
      registers,
      async collect() {
        const s = src();
        if (!s) return;
        this.reset();
        for (const [state, n] of Object.entries(await s.agentsByState().catch(() => ({})))) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'godel_merge_queue_depth',
      help: 'Merge jobs waiting, delayed or running (cluster-wide, from the BullMQ queue: aggregate with max)',
      registers,
      async collect() {
        const s = src();
        if (s) this.set(await s.mergeQueueDepth().catch(() => 0));
      },
    });
    new Gauge({
      name: 'godel_sse_streams',
      help: 'Open SSE event streams on this instance',
      registers,
      collect() {
        const s = src();
        if (s) this.set(s.sseStreams());
      },
    });
    // Present from the first scrape, so dashboards and alerts never query a missing series.
    this.takeovers.inc(0);
    this.restarts.inc(0);
  }

  bind(sources: MetricSources): void {
    this.sources = sources;
  }

  /** A runtime event (ActorSystem onEvent). */
  count(type: string, data: Record<string, unknown> = {}): void {
    this.events.inc({ type });
    if (type === 'shard.acquired') this.takeovers.inc();
    else if (type === 'actor.activated' && typeof data.actor === 'string') this.activationsTotal.inc({ kind: data.actor.split('/')[0] });
  }

  turn(kind: string, seconds: number, ok: boolean, waitSeconds: number): void {
    this.turns.observe({ kind, outcome: ok ? 'ok' : 'error' }, seconds);
    this.mailboxWait.observe({ kind }, waitSeconds);
  }

  commit(seconds: number, rows: number): void {
    this.commits.observe(seconds);
    this.commitRows.observe(rows);
  }

  /** An event appended to the event log (agents, teams, the refinery). */
  observeEvent(e: { type: string; team?: string; data?: Record<string, unknown> }): void {
    const d = e.data ?? {};
    switch (e.type) {
      case 'agent.restarted':
        this.restarts.inc();
        return;
      case 'agent.turn_completed': {
        const delta = d.usageDelta as { tokens?: number; costUsd?: number } | undefined;
        const labels = { team: e.team ?? '', provider: typeof d.provider === 'string' ? d.provider : 'unknown' };
        if (delta?.tokens && delta.tokens > 0) this.tokens.inc(labels, delta.tokens);
        if (delta?.costUsd && delta.costUsd > 0) this.cost.inc(labels, delta.costUsd);
        return;
      }
      case 'merge.started':
        this.mergeStarts.set(`${e.team}/${String(d.task)}/${String(d.attempt)}`, Date.now());
        return;
      case 'merge.verify_finished':
        if (typeof d.ms === 'number') this.verifies.observe({ outcome: d.ok ? 'green' : 'red' }, d.ms / 1000);
        return;
      case 'merge.merged':
      case 'merge.conflict':
      case 'merge.red':
      case 'merge.blocked':
      case 'merge.failed': {
        const key = `${e.team}/${String(d.task)}/${String(d.attempt)}`;
        const started = this.mergeStarts.get(key);
        this.mergeStarts.delete(key);
        if (started !== undefined) this.merges.observe({ outcome: e.type.slice('merge.'.length) }, (Date.now() - started) / 1000);
        return;
      }
    }
  }
}
