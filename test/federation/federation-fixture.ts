import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shardOfKey } from '@godel/actors';
import { GodelCluster, adminToken, bearer, createTestEnv, type ClusterMember, type TeamPlaybook, type TestEnv } from '@godel/testing';

export const SHARDS = 8;

/** The statuses a team ends in. */
export const TEAM_DONE = ['succeeded', 'failed', 'cancelled'];

export interface MemberView {
  id: string;
  live: boolean;
  maxAgents: number | null;
  running: number;
  healthy: boolean;
  draining: { reason: string } | null;
  acceptsNewWork: boolean;
  shards: number[];
  teams: string[];
}
export interface FederationView {
  members: MemberView[];
  unowned: number[];
  full: boolean;
}

/**
 * Real compiled Godel servers over one Redis and PostgreSQL schema, each with its own home folder
 * (worktrees, agent folders), the scripted model playing `book`, and small HTTP helpers.
 */
export class FederationFixture {
  env!: TestEnv;
  cluster!: GodelCluster;
  root!: string;
  token = '';

  static async create(book: TeamPlaybook, extraEnv: Record<string, string> = {}): Promise<FederationFixture> {
    const f = new FederationFixture();
    f.env = await createTestEnv({ shardCount: SHARDS });
    f.root = await mkdtemp(join(tmpdir(), 'godel-federation-'));
    await writeFile(join(f.root, 'playbook.json'), JSON.stringify(book));
    f.cluster = new GodelCluster({
      redisUrl: f.env.redisUrl,
      databaseUrl: f.env.databaseUrl,
      keyPrefix: f.env.keyPrefix,
      schema: f.env.schema,
      // A 3 s lease: on a loaded 2-core CI box a 1.5 s one lapsed under starvation alone, moving shards
      // (and new teams) between members mid-check.
      env: { GODEL_SHARDS: String(SHARDS), GODEL_LEASE_TTL_MS: '3000', GODEL_PLAYBOOK: join(f.root, 'playbook.json'), ...extraEnv },
    });
    return f;
  }

  /** A member with its own home folder. */
  async start(name: string, env: Record<string, string> = {}): Promise<ClusterMember> {
    const m = await this.cluster.startWith(name, { GODEL_HOME: join(this.root, `home-${name}`), ...env }, 90_000);
    if (!this.token) this.token = await adminToken(m.url!, this.cluster.adminKey);
    return m;
  }

  async api<T = Record<string, unknown>>(m: ClusterMember, method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(`${m.url}${path}`, {
      method,
      headers: bearer(this.token, body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
  }

  async view(m: ClusterMember): Promise<FederationView> {
    const r = await this.api<FederationView>(m, 'GET', '/api/v1/federation');
    if (r.status !== 200) throw new Error(`GET /federation: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  member(v: FederationView, m: ClusterMember): MemberView | undefined {
    return v.members.find((x) => x.id === m.instanceId);
  }

  /** The instance holding the lease of the shard of `key` (a team's or an agent's name), if any. */
  async shardHolder(key: string): Promise<string | undefined> {
    return (await this.env.redis.hget(`${this.env.keyPrefix}:{s${shardOfKey(key, SHARDS)}}:lease`, 'owner')) ?? undefined;
  }

  /** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
  async until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = await check();
        if (v !== undefined && v !== false) return v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async events(prefix: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    return this.env.dataSource.query(`SELECT type, data FROM events WHERE type LIKE $1 ORDER BY seq`, [`${prefix}%`]);
  }

  async close(): Promise<void> {
    for (const m of this.cluster?.members.values() ?? []) m.process.kill('SIGCONT');
    await this.cluster?.stopAll();
    await this.env?.cleanup();
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }
}
