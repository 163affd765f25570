import { randomBytes } from 'node:crypto';
import { DEFAULT_HEALTH_POLICY, HealthAwarePlacement, acceptsNewWork, freeSlots, isHealthy, shardOfKey, type FederationView, type HealthPolicy, type MemberStatus, type MemberView } from '@godel/actors';
import type { PreparedIntent } from '@godel/orchestration';
import type { EventLog } from '@godel/persistence';
import type { DataSource } from 'typeorm';
import { NotFound } from '../http/validate';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { FederationFullError } from './federation-errors';

export type { FederationView, MemberView } from '@godel/actors';

/** Seconds a client waits before retrying when the federation is full. */
export const FULL_RETRY_AFTER_S = 10;

/**
 * The federation as every instance sees it (members, capacity, load, health, draining, shards,
 * teams), the operator's drain / undrain / rebalance, and the choice of a new team's shard among
 * shards whose owner has room (docs/adr/0008). Reads Redis and PostgreSQL only: any instance answers.
 */
export class FederationService {
  readonly policy: HealthPolicy;
  readonly placement: HealthAwarePlacement;

  /** `policy`: the health threshold (GODEL_PLACEMENT_MAX_LAG_MS), the same the runtime's placement uses. */
  constructor(private readonly d: { rt: BuiltRuntime; events: EventLog; ds: DataSource; policy?: HealthPolicy }) {
    this.policy = d.policy ?? DEFAULT_HEALTH_POLICY;
    this.placement = new HealthAwarePlacement(this.policy);
  }

  private get rt(): BuiltRuntime {
    return this.d.rt;
  }

  private async holders(): Promise<Array<string | undefined>> {
    const n = this.rt.system.shardCount;
    return Promise.all(Array.from({ length: n }, async (_, s) => (await this.rt.leases.holder(s))?.owner));
  }

  async view(): Promise<FederationView> {
    const [statuses, holders, rows] = await Promise.all([
      this.rt.membership.view(),
      this.holders(),
      this.d.ds.query(`SELECT id, shard FROM actor_state WHERE kind = 'team' AND state->>'status' IN ('planning', 'running')`) as Promise<Array<{ id: string; shard: number }>>,
    ]);
    const self = this.rt.system.instanceId;
    const byId = new Map<string, MemberView>(statuses.map((m) => [m.id, this.memberView(m, self, true)]));
    const unowned: number[] = [];
    holders.forEach((h, shard) => {
      if (!h) return void unowned.push(shard);
      let v = byId.get(h);
      if (!v) byId.set(h, (v = this.memberView({ id: h }, self, false)));
      v.shards.push(shard);
    });
    for (const r of rows) {
      const h = holders[Number(r.shard)];
      if (h) byId.get(h)!.teams.push(r.id.slice('team/'.length));
    }
    const members = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
    return { self, shardCount: holders.length, placement: this.placement.name, maxLagMs: this.policy.maxLagMs, members, unowned, full: !members.some((m) => m.acceptsNewWork) };
  }

  private memberView(m: MemberStatus, self: string, live: boolean): MemberView {
    const free = freeSlots(m);
    return {
      id: m.id,
      self: m.id === self,
      live,
      maxAgents: m.maxAgents ?? null,
      running: m.running ?? 0,
      queued: m.queued ?? 0,
      freeSlots: Number.isFinite(free) ? free : null,
      lagP99Ms: m.lagP99Ms ?? null,
      healthy: live && isHealthy(m, this.policy),
      draining: m.draining ?? null,
      acceptsNewWork: live && acceptsNewWork(m, this.policy),
      shards: [],
      teams: [],
    };
  }

  /** A live member, or 404 naming the live ones. */
  private async member(id: string): Promise<MemberStatus> {
    const statuses = await this.rt.membership.view();
    const m = statuses.find((s) => s.id === id);
    if (!m) throw new NotFound(`unknown instance ${id} (live: ${statuses.map((s) => s.id).join(', ') || 'none'})`);
    return m;
  }

  /** Marks an instance draining: it takes no new work and hands its shards over as they go idle. */
  async drain(id: string, by: string): Promise<{ instance: string; draining: true; changed: boolean }> {
    await this.member(id);
    const changed = await this.rt.membership.setDraining(id, `drained by ${by}`);
    if (changed) await this.d.events.append({ type: 'federation.drained', data: { instance: id, reason: 'operator', by } });
    return { instance: id, draining: true, changed };
  }

  async undrain(id: string, by: string): Promise<{ instance: string; draining: false; changed: boolean }> {
    await this.member(id);
    const changed = await this.rt.membership.clearDraining(id);
    if (changed) await this.d.events.append({ type: 'federation.undrained', data: { instance: id, by } });
    return { instance: id, draining: false, changed };
  }

  /**
   * Where each shard should be under the current view and where it is. The lease rounds move a
   * shard only while it is idle (no message in flight, no agent mid-turn), so a rebalance moves
   * idle shards and their teams now and busy ones when they next go idle; nothing is cut.
   */
  async rebalance(by: string): Promise<{ moves: Array<{ shard: number; from: string | null; to: string; teams: string[] }> }> {
    const [statuses, holders, view] = await Promise.all([this.rt.membership.view(), this.holders(), this.view()]);
    const members = statuses.map((s) => s.id);
    const byId = new Map(statuses.map((s) => [s.id, s]));
    const teamsOf = new Map<number, string[]>();
    for (const m of view.members) for (const t of m.teams) teamsOf.set(shardOfKey(t, holders.length), [...(teamsOf.get(shardOfKey(t, holders.length)) ?? []), t]);
    const moves: Array<{ shard: number; from: string | null; to: string; teams: string[] }> = [];
    holders.forEach((from, shard) => {
      const to = this.placement.ownerOf(shard, members, byId);
      if (to && to !== from) moves.push({ shard, from: from ?? null, to, teams: teamsOf.get(shard) ?? [] });
    });
    await this.d.events.append({ type: 'federation.rebalance', data: { by, moves: moves.length, shards: moves.map((m) => m.shard) } });
    return { moves };
  }

  /** The prepared intent under a placed team name (`<slug>-<6 hex>` like prepareIntent's own). */
  async placeIntent(p: PreparedIntent): Promise<PreparedIntent> {
    const team = await this.teamName(p.team.replace(/-[0-9a-f]{6}$/, ''));
    return { team, start: { ...p.start, intentId: `intent-${team}` }, plan: { ...p.plan, team } };
  }

  /**
   * A new team's name, chosen so its shard (its affinity key's hash) is owned — now and by the
   * placement's intent — by a member with room; 503 (`federation.full`) when none has any.
   */
  async teamName(slug: string): Promise<string> {
    const [statuses, holders] = await Promise.all([this.rt.membership.view(), this.holders()]);
    const members = statuses.map((s) => s.id);
    const byId = new Map(statuses.map((s) => [s.id, s]));
    const ok = new Set<number>();
    holders.forEach((h, shard) => {
      const to = this.placement.ownerOf(shard, members, byId);
      const m = to ? byId.get(to) : undefined;
      if (m && acceptsNewWork(m, this.policy) && (!h || h === to)) ok.add(shard);
    });
    if (ok.size === 0) {
      const why = statuses.map((s) => `${s.id}: ${s.draining ? 'draining' : !isHealthy(s, this.policy) ? 'unhealthy' : s.hostsShards === false ? 'api only' : freeSlots(s) <= 0 ? 'full' : 'busy shards'}`).join(', ');
      throw new FederationFullError(`no instance can take a new team now (${why || 'no live instance'}); retry later`, { retryAfterS: FULL_RETRY_AFTER_S });
    }
    for (let i = 0; i < 10_000; i++) {
      const team = `${slug}-${randomBytes(3).toString('hex')}`;
      if (ok.has(shardOfKey(team, holders.length))) return team;
    }
    throw new FederationFullError('no free team name found for the shards with room; retry', { retryAfterS: 1 });
  }
}
