/**
 * The chaos harness (issue 15): real server processes (GodelCluster), each reaching Redis and
 * PostgreSQL through its own loopback TCP proxy; a steady workload of counter tells over HTTP; faults
 * drawn from a seeded generator, one at a time; then a checker. The fault schedule (kinds, targets,
 * durations) is a function of the seed, so a failing seed replays the same schedule (CHAOS_SEED).
 * Used by `npm run chaos`, `npm run bench:chaos` and test/chaos (small count).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminToken, bearer, createTestEnv, GodelCluster, TcpProxy, type TestEnv } from '@godel/testing';
import { clusterRedis, type ChaosRedis } from './cluster';
import { TeamWorkload, writePlaybook, type TeamCheck } from './team-workload';

export const FAULT_KINDS = ['kill', 'stop', 'redis_cut', 'pg_cut', 'redis_down', 'pg_down', 'drain'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  faults: number;
  seed: number;
  members?: number;
  counters?: number;
  /** Concurrent HTTP senders. */
  workers?: number;
  shards?: number;
  leaseTtlMs?: number;
  kinds?: readonly FaultKind[];
  /** Stop injecting faults after this long (ms) and report the ones run (a loaded machine). */
  maxFaultTimeMs?: number;
  /** Run teams (scripted model, real pi and git) through the faults (default true). */
  teams?: boolean;
  /**
   * Run on the local Redis Cluster (127.0.0.1:7000-7005, scripts/redis-cluster.sh) instead of one
   * Redis: each instance reaches every node through its own proxies (natMap), so a cut or an outage
   * hits that instance, not the cluster.
   */
  cluster?: boolean;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  /** Faults run (fewer than planned when maxFaultTimeMs cut the schedule short). */
  faults: number;
  faults_planned: number;
  faults_by_kind: Record<string, number>;
  acknowledged: number;
  /** Tells never acknowledged (given up after retries): allowed to be applied at most once. */
  unacknowledged: number;
  lost: number;
  duplicated: number;
  overlapping_activations: number;
  /** Team checks (team-workload.ts); null without a team workload. */
  tasks_lost: number | null;
  /** Why each lost task was lost (team status, task status, ledger entries); empty without a team workload. */
  tasks_lost_detail: TeamCheck['tasks_lost_detail'];
  event_gaps: number | null;
  duplicate_events: number | null;
  teams: Omit<TeamCheck, 'tasks_lost' | 'tasks_lost_detail' | 'event_gaps' | 'duplicate_events'> | null;
  cluster: boolean;
  drained: boolean;
  unhandled_redis_errors: number;
  /** Members that exited on their own (not killed or drained by the harness): a server crash. */
  unexpected_exits: number;
  unexpected_exit_detail: Array<{ member: string; code: number | null; signal: string | null; stderr: string }>;
  duration_s: number;
  tells_per_s: number;
}

/** mulberry32: a small seeded generator (the schedule must replay from the seed). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Fault {
  kind: FaultKind;
  /** Index of the member it hits (redis_down and pg_down hit all). */
  target: number;
  /** How long the fault lasts (stop, redis_down, pg_down) in ms. */
  durationMs: number;
  /** Pause after it, in ms. */
  gapMs: number;
}

/** The schedule: every kind equally often (shuffled), targets and durations from the same seed. */
export function schedule(seed: number, count: number, members: number, leaseTtlMs: number, kinds: readonly FaultKind[] = FAULT_KINDS): Fault[] {
  const rnd = seededRandom(seed);
  const deck: FaultKind[] = Array.from({ length: count }, (_, i) => kinds[i % kinds.length]);
  for (let i = deck.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [deck[i], deck[j]] = [deck[j], deck[i]];
  }
  return deck.map((kind) => ({
    kind,
    target: Math.floor(rnd() * members),
    durationMs: kind === 'stop' ? leaseTtlMs + 500 + Math.floor(rnd() * 1000) : kind === 'redis_down' || kind === 'pg_down' ? 1000 + Math.floor(rnd() * 2000) : 0,
    gapMs: 200 + Math.floor(rnd() * 600),
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One Redis (the test env's): one proxy per instance. */
function singleRedis(env: TestEnv): ChaosRedis {
  const u = new URL(env.redisUrl);
  return { nodes: [{ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) }], url: ([port]) => `redis://127.0.0.1:${port}`, client: env.redis, close: async () => undefined };
}

interface Slot {
  name: string;
  /** One proxy (single Redis) or one per cluster node (cut / down together). */
  redis: TcpProxy[];
  pg: TcpProxy;
  url?: string;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => undefined);
  const memberCount = o.members ?? 3;
  const shards = o.shards ?? 16;
  const ttl = o.leaseTtlMs ?? 2000;
  const plan = schedule(o.seed, o.faults, memberCount, ttl, o.kinds);
  log(`chaos: seed ${o.seed}, ${o.faults} faults, ${memberCount} members${o.cluster ? ', Redis Cluster' : ''} (replay: CHAOS_SEED=${o.seed} CHAOS_FAULTS=${o.faults}${o.cluster ? ' CHAOS_CLUSTER=1' : ''})`);
  const env: TestEnv = await createTestEnv({ shardCount: shards, leaseTtlMs: ttl });
  const withTeams = o.teams ?? true;
  const root = await mkdtemp(join(tmpdir(), 'godel-chaos-'));
  const teamEnv: Record<string, string> = withTeams ? { GODEL_PLAYBOOK: await writePlaybook(root), GODEL_HOME: join(root, 'home') } : {};
  const cluster = new GodelCluster({
    redisUrl: env.redisUrl,
    databaseUrl: env.databaseUrl,
    keyPrefix: env.keyPrefix,
    schema: env.schema,
    env: {
      GODEL_SHARDS: String(shards),
      GODEL_LEASE_TTL_MS: String(ttl),
      GODEL_IDLE_TIMEOUT_MS: '30000',
      GODEL_RATE_LIMIT_PER_S: '1000000',
      GODEL_RATE_LIMIT_BURST: '1000000',
      GODEL_ACCESS_TOKEN_TTL_S: '86400',
      ...teamEnv,
    },
  });
  const redis: ChaosRedis = o.cluster ? await clusterRedis(env.keyPrefix) : singleRedis(env);
  const pgUrl = new URL(env.databaseUrl);
  const slots: Slot[] = [];
  for (let i = 0; i < memberCount; i++) {
    const slot: Slot = { name: `m${i}`, redis: redis.nodes.map((n) => new TcpProxy(n.host, n.port)), pg: new TcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432)) };
    for (const p of slot.redis) await p.up();
    await slot.pg.up();
    slots.push(slot);
  }
  let unhandled = 0;
  const crashes: ChaosReport['unexpected_exit_detail'] = [];
  const start = async (slot: Slot): Promise<void> => {
    const db = new URL(env.databaseUrl);
    db.host = `127.0.0.1:${slot.pg.port}`;
    // A loaded machine may take minutes to boot a server: a start that is not ready in time is
    // killed (by PID) and tried again.
    for (let attempt = 1; ; attempt++) {
      try {
        const m = await cluster.startWith(slot.name, { REDIS_URL: redis.url(slot.redis.map((p) => p.port)), DATABASE_URL: db.toString() }, 120000);
        slot.url = m.url;
        void m.exited.then(({ code, signal }) => {
          if (m.ended) return;
          crashes.push({ member: m.instanceId, code, signal, stderr: m.stderrTail.slice(-1500) });
          log(`${m.instanceId} exited on its own (${code ?? signal}); stderr: ${m.stderrTail.slice(-1500)}`);
        });
        return;
      } catch (err) {
        await cluster.kill(slot.name);
        if (attempt >= 3) throw err;
        log(`${slot.name} not ready (attempt ${attempt}): starting it again`);
      }
    }
  };
  const forget = (slot: Slot): void => {
    unhandled += cluster.members.get(slot.name)?.unhandledRedisErrors ?? 0;
    slot.url = undefined;
  };

  const t0 = performance.now();
  const byKind: Record<string, number> = Object.fromEntries((o.kinds ?? FAULT_KINDS).map((k) => [k, 0]));
  const counters = Array.from({ length: o.counters ?? 100 }, (_, i) => `c${i}`);
  const acked = new Map(counters.map((c) => [c, 0]));
  const uncertain = new Map(counters.map((c) => [c, 0]));
  let sending = true;
  let teams: TeamWorkload | undefined;
  let ran = 0;
  try {
    await start(slots[0]);
    await Promise.all(slots.slice(1).map((s) => start(s)));
    let token = await adminToken(slots[0].url!, cluster.adminKey);
    const run = randomBytes(4).toString('hex');
    let seq = 0;
    const live = () => slots.filter((s) => s.url).map((s) => s.url!);
    /** A user's client: 202 acknowledges; anything else is retried with the same id, on any member. */
    const tell = async (counter: string): Promise<void> => {
      const id = `${run}-${++seq}`;
      const giveUpAt = performance.now() + 120000;
      for (let attempt = 0; performance.now() < giveUpAt; attempt++) {
        const urls = live();
        const url = urls[(seq + attempt) % Math.max(1, urls.length)];
        if (url) {
          try {
            const res = await fetch(`${url}/api/v1/actors/counter/${counter}/messages`, {
              method: 'POST',
              headers: bearer(token, { 'content-type': 'application/json' }),
              body: JSON.stringify({ type: 'inc', payload: { by: 1 }, id }),
              signal: AbortSignal.timeout(3000),
            });
            await res.arrayBuffer();
            if (res.status === 202) {
              acked.set(counter, acked.get(counter)! + 1);
              return;
            }
            if (res.status === 401) token = await adminToken(url, cluster.adminKey).catch(() => token);
          } catch {
            // refused, reset or timed out (a stopped member): retry with the same id
          }
        }
        await sleep(Math.min(500, 50 * (attempt + 1)));
      }
      uncertain.set(counter, uncertain.get(counter)! + 1);
    };
    const workers = Array.from({ length: o.workers ?? 12 }, async (_, w) => {
      for (let i = w; sending; i += o.workers ?? 12) {
        await tell(counters[i % counters.length]);
        await sleep(5);
      }
    });

    if (withTeams) {
      teams = new TeamWorkload({ root, live, token: () => token, log });
      teams.start();
    }

    await sleep(1000);
    const faultsUntil = performance.now() + (o.maxFaultTimeMs ?? Infinity);
    for (const [i, f] of plan.entries()) {
      if (performance.now() > faultsUntil) {
        log(`fault time budget (${o.maxFaultTimeMs} ms) spent after ${i} faults: checking`);
        break;
      }
      ran++;
      const slot = slots[f.target];
      // A member that crashed is counted (unexpected_exits) and started again before its next fault.
      for (const s of slots) {
        const m = cluster.members.get(s.name);
        if (m && m.process.exitCode === null && m.process.signalCode === null) continue;
        forget(s);
        await cluster.kill(s.name);
        await start(s);
      }
      byKind[f.kind]++;
      log(`fault ${i + 1}/${plan.length}: ${f.kind} ${f.kind.endsWith('_down') ? 'all' : slot.name}${f.durationMs ? ` ${f.durationMs} ms` : ''}`);
      switch (f.kind) {
        case 'kill':
          forget(slot);
          await cluster.kill(slot.name);
          await start(slot);
          break;
        case 'drain':
          forget(slot);
          await cluster.stop(slot.name);
          await start(slot);
          break;
        case 'stop': {
          const m = cluster.members.get(slot.name)!;
          process.kill(m.pid, 'SIGSTOP');
          await sleep(f.durationMs);
          process.kill(m.pid, 'SIGCONT');
          break;
        }
        case 'redis_cut':
          for (const p of slot.redis) p.cut();
          break;
        case 'pg_cut':
          slot.pg.cut();
          break;
        case 'redis_down':
          await Promise.all(slots.flatMap((s) => s.redis.map((p) => p.down())));
          await sleep(f.durationMs);
          await Promise.all(slots.flatMap((s) => s.redis.map((p) => p.up())));
          break;
        case 'pg_down':
          await Promise.all(slots.map((s) => s.pg.down()));
          await sleep(f.durationMs);
          await Promise.all(slots.map((s) => s.pg.up()));
          break;
      }
      await sleep(f.gapMs);
    }
    await sleep(1000);
    sending = false;
    teams?.finish();
    await Promise.all(workers);
    const sendDone = performance.now();

    // The teams: every one ended (or 5 min past the faults), every task merged or reported, events.
    const team = teams ? await teams.check(env.dataSource, 300000) : undefined;
    if (team) log(`teams: ${JSON.stringify(team)}`);
    // Checker. Every mailbox drained (depth hashes empty), then counters against acknowledged tells.
    const depth = async () => (await Promise.all(Array.from({ length: shards }, (_, i) => redis.client.hlen(`${env.keyPrefix}:{s${i}}:depth`)))).reduce((a, b) => a + b, 0);
    let drained = false;
    for (const end = performance.now() + 120000; performance.now() < end; await sleep(250)) {
      if ((await depth()) === 0) {
        drained = true;
        break;
      }
    }
    // Turns already read are committed shortly after the depth reaches 0 (acks follow commits).
    await sleep(500);
    const rows = (await env.dataSource.query(`SELECT id, state FROM actor_state WHERE kind = 'counter'`)) as Array<{ id: string; state: { count: number; epochs: number[] } }>;
    const states = new Map(rows.map((r) => [r.id.slice('counter/'.length), r.state]));
    let lost = 0;
    let duplicated = 0;
    let overlapping = 0;
    for (const c of counters) {
      const s = states.get(c) ?? { count: 0, epochs: [] };
      const low = acked.get(c)!;
      const high = low + uncertain.get(c)!;
      if (s.count < low) lost += low - s.count;
      if (s.count > high) duplicated += s.count - high;
      // Epochs under which a counter's turns ran, in commit order: a decrease means two activations interleaved.
      for (let i = 1; i < s.epochs.length; i++) if (s.epochs[i] <= s.epochs[i - 1]) overlapping++;
    }
    // The fence log: per shard, grants in order with rising epochs.
    const grants = (await env.dataSource.query(`SELECT shard, epoch FROM shard_lease_log ORDER BY id`)) as Array<{ shard: number; epoch: string }>;
    const lastEpoch = new Map<number, number>();
    for (const g of grants) {
      const e = Number(g.epoch);
      if (e <= (lastEpoch.get(g.shard) ?? 0)) overlapping++;
      lastEpoch.set(g.shard, e);
    }
    const acknowledged = [...acked.values()].reduce((a, b) => a + b, 0);
    for (const s of slots) unhandled += cluster.members.get(s.name)?.unhandledRedisErrors ?? 0;
    return {
      seed: o.seed,
      faults: ran,
      faults_planned: plan.length,
      faults_by_kind: byKind,
      acknowledged,
      unacknowledged: [...uncertain.values()].reduce((a, b) => a + b, 0),
      lost,
      duplicated,
      overlapping_activations: overlapping,
      tasks_lost: team?.tasks_lost ?? null,
      tasks_lost_detail: team?.tasks_lost_detail ?? [],
      event_gaps: team?.event_gaps ?? null,
      duplicate_events: team?.duplicate_events ?? null,
      teams: team ? (({ tasks_lost: _l, tasks_lost_detail: _ld, event_gaps: _g, duplicate_events: _d, ...rest }) => rest)(team) : null,
      cluster: o.cluster ?? false,
      drained,
      unhandled_redis_errors: unhandled,
      unexpected_exits: crashes.length,
      unexpected_exit_detail: crashes,
      duration_s: Math.round((performance.now() - t0) / 100) / 10,
      tells_per_s: Math.round(acknowledged / ((sendDone - t0) / 1000)),
    };
  } finally {
    sending = false;
    await teams?.stop();
    for (const s of slots) {
      for (const p of s.redis) await p.up();
      await s.pg.up();
    }
    await cluster.stopAll().catch(() => undefined);
    for (const s of slots) {
      for (const p of s.redis) await p.down();
      await s.pg.down();
    }
    await redis.close();
    await env.cleanup();
    await rm(root, { recursive: true, force: true });
  }
}
