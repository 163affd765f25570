import { join } from 'node:path';
import type { FederationHooks } from '@godel/actors';
import type { AgentProcessHost, AgentState } from '@godel/agents';
import type { GodelConfig } from '@godel/config';
import { inheritedEnv } from '@godel/config';
import { busyAgentShards, shardHasBusyAgent, type EventLog } from '@godel/persistence';
import type { DataSource } from 'typeorm';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { LagMonitor } from './lag-monitor';
import type { InstanceRpc } from './instance-rpc';
import { worktreeDiff } from './worktree-diff';

/** A drain the member imposed on itself (missed heartbeats) lifts after this long without another gap; an operator's drain never lifts by itself. */
const SELF_DRAIN_QUARANTINE_MS = 60_000;
const SELF_DRAIN_REASON = 'missed heartbeats';

/**
 * This instance's side of the federation: what it publishes with its heartbeat (capacity, load,
 * lag), which of its shards may be handed over now (no agent mid-turn), what a hand-over stops
 * locally, the self-drain after a heartbeat gap, and the instance-RPC handlers (diff, stats).
 * It is the runtime's FederationHooks: GodelLifecycle registers it (`useFederation`) before the
 * runtime starts, since it needs the agent host, which itself tells the runtime.
 */
export class LocalMember implements FederationHooks {
  private readonly lag = new LagMonitor();
  private busy = new Set<number>();
  private timer?: ReturnType<typeof setInterval>;
  private lastGapAt = 0;

  constructor(
    private readonly d: { rt: BuiltRuntime; config: GodelConfig; host: AgentProcessHost; events: EventLog; ds: DataSource; rpc: InstanceRpc },
  ) {}

  get id(): string {
    return this.d.rt.system.instanceId;
  }

  get hostsShards(): boolean {
    return this.d.config.roles.includes('runtime');
  }

  lagP99Ms(): number {
    return this.lag.p99Ms();
  }

  memberInfo(): Record<string, unknown> {
    const c = this.d.host.capacity();
    return { maxAgents: this.hostsShards ? c.maxAgents : 0, running: c.live + c.starting, queued: c.queued, lagP99Ms: this.lag.p99Ms(), hostsShards: this.hostsShards };
  }

  canHandOver(shard: number): boolean {
    return !this.busy.has(shard);
  }

  async start(): Promise<void> {
    this.lag.start();
    if (this.hostsShards) {
      // Caught: a rejected append of `federation.undrained` during a PostgreSQL cut was an unhandled
      // rejection that killed the server (bench:chaos, seed 1871612786); the events are now appended
      // with retries (appendEventually), and anything else that fails here is tried on the next tick.
      this.timer = setInterval(() => void this.refreshBusy().then(() => this.liftSelfDrain()).catch(() => undefined), 300);
      this.timer.unref();
    }
    await this.d.rpc.start({
      diff: (data) => this.diff(String(data.agent)),
      stats: async () => this.stats(),
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.lag.stop();
    await this.d.rpc.close();
  }

  /** Shards we hold with an agent mid-turn (or starting): refreshed from the committed agent states. */
  private async refreshBusy(): Promise<void> {
    const owned = this.d.rt.system.stats().ownedShards;
    if (owned.length === 0) return void (this.busy = new Set());
    try {
      this.busy = await busyAgentShards(this.d.ds, owned);
    } catch {
      // PostgreSQL unreachable: keep the last answer (a hand-over waits rather than cutting a turn).
    }
  }

  /**
   * Whether no agent of the shard is mid-turn now, from the committed states (the runtime asks once
   * the shard's turns are done, before its lease goes): `busy` is refreshed every 300 ms, and a
   * prompt read while the release began starts a turn the hand-over would cut.
   */
  async confirmHandOver(shard: number): Promise<boolean> {
    const busy = await shardHasBusyAgent(this.d.ds, shard);
    if (busy) this.busy.add(shard);
    return !busy;
  }

  /** The shard went to `to`: its agents' processes here stop (sessions are saved after every turn). */
  async onHandedOver(shard: number, to: string): Promise<void> {
    const rows: Array<{ id: string; kind: string; status: string | null }> = await this.d.ds.query(
      `SELECT id, kind, state->>'status' AS status FROM actor_state WHERE shard = $1 AND kind IN ('agent', 'team')`,
      [shard],
    );
    const agents = rows.filter((r) => r.kind === 'agent').map((r) => r.id);
    // Every process is stopped, and the move recorded, even when one stop fails (a rejected stop
    // used to skip the event: a shard reached B with no `federation.shard_moved`).
    const stops = await Promise.allSettled(agents.filter((a) => this.d.host.has(a)).map((a) => this.d.host.stop(a)));
    const failed = stops.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    const teams = rows.filter((r) => r.kind === 'team' && ['planning', 'running'].includes(r.status ?? '')).map((r) => r.id.slice('team/'.length));
    await this.d.events.appendEventually({ type: 'federation.shard_moved', data: { shard, from: this.id, to, teams, agentsStopped: agents.filter((a) => !this.d.host.has(a)).length, ...(failed.length ? { stopErrors: failed.slice(0, 5) } : {}) } });
  }

  /** We missed our heartbeats (paused, starved): the others took our shards; take nothing back until undrained. */
  async onHeartbeatGap(gapMs: number): Promise<void> {
    this.lastGapAt = Date.now();
    // Never the last member taking work: on a loaded box every member can miss a beat, and a federation
    // that drained itself whole would refuse every intent until an operator stepped in.
    const view = await this.d.rt.membership.view().catch(() => []);
    if (!view.some((m) => m.id !== this.id && !m.draining && m.hostsShards !== false)) return;
    const set = await this.d.rt.membership.setDraining(this.id, `${SELF_DRAIN_REASON} (${Math.round(gapMs)} ms without one)`).catch(() => false);
    // Not awaited: this runs inside the lease round, which a PostgreSQL outage must not hold up.
    if (set) void this.d.events.appendEventually({ type: 'federation.drained', data: { instance: this.id, reason: 'missed_heartbeats', gapMs: Math.round(gapMs), by: 'self' } });
  }

  /** Lifts a self-imposed drain once the member has beaten on time for the quarantine; leaves an operator's drain alone. */
  private async liftSelfDrain(): Promise<void> {
    if (this.lastGapAt === 0 || Date.now() - this.lastGapAt < SELF_DRAIN_QUARANTINE_MS) return;
    this.lastGapAt = 0;
    const flag = (await this.d.rt.membership.drainingFlags().catch(() => new Map<string, { reason: string }>())).get(this.id);
    if (!flag?.reason.startsWith(SELF_DRAIN_REASON)) return;
    if (await this.d.rt.membership.clearDraining(this.id).catch(() => false)) {
      void this.d.events.appendEventually({ type: 'federation.undrained', data: { instance: this.id, by: 'self', reason: `on time for ${SELF_DRAIN_QUARANTINE_MS / 1000} s after missed heartbeats` } });
    }
  }

  private async diff(agent: string): Promise<unknown> {
    const rows: Array<{ state: AgentState }> = await this.d.ds.query(`SELECT state FROM actor_state WHERE id = $1 AND kind = 'agent'`, [agent]);
    const s = rows[0]?.state;
    return worktreeDiff({ agent, instance: this.id, worktree: s?.worktree, base: s?.baseCommit, worktreesRoot: join(this.d.config.homeDir, 'worktrees'), path: inheritedEnv().PATH ?? '/usr/bin:/bin' });
  }

  stats(): Record<string, unknown> {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const rt = this.d.rt.system.stats();
    return {
      instance: this.id,
      pid: process.pid,
      uptimeS: Math.round(process.uptime()),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      lagP99Ms: this.lag.p99Ms(),
      agents: this.d.host.capacity(),
      runtime: { ownedShards: rt.ownedShards, activations: rt.activations, inFlight: rt.inFlight },
    };
  }
}
