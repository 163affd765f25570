/**
 * npm run bench:actors — the actor runtime's numbers on this machine.
 * The runtime under test is the real compiled server in child processes (GodelCluster); this
 * process only sends, measures and checks. Prints a table and writes bench/results/actors.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseActorId, shardOf } from '@godel/actors';
import { counterActor, createTestEnv, GodelCluster, type CounterState, type TestEnv } from '@godel/testing';
import { openDatabase } from '@godel/persistence';
import { Redis } from 'ioredis';
import { buildRuntime, type BuiltRuntime } from '../apps/godel/src';
import { tracedThroughput } from './traced-throughput';
import { load1m } from './latency-probe';
import { latencyRuns, RUNS, tailWindows, type TailWindows } from './latency-runs';

const SHARDS = 64;
const LEASE_TTL_MS = 2000;

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rawRedis(url: string, prefix: string, total = 60000): Promise<number> {
  const redis = new Redis(url);
  const key = `${prefix}:raw`;
  await redis.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
  const payload = JSON.stringify({ id: 'x', to: 'counter/1', type: 'inc', payload: { by: 1 }, sentAt: Date.now() });
  const t0 = performance.now();
  let moved = 0;
  while (moved < total) {
    const p = redis.pipeline();
    for (let i = 0; i < 100; i++) p.xadd(key, '*', 'a', 'counter/1', 'e', payload);
    await p.exec();
    const r = (await redis.xreadgroup('GROUP', 'g', 'c', 'COUNT', 100, 'STREAMS', key, '>')) as Array<[string, Array<[string, string[]]>]>;
    const ids = r[0][1].map(([id]) => id);
    await redis.xack(key, 'g', ...ids);
    moved += ids.length;
  }
  const rate = moved / ((performance.now() - t0) / 1000);
  await redis.del(key);
  redis.disconnect();
  return rate;
}

async function sumCounts(env: TestEnv, like: string): Promise<number> {
  const r = await env.dataSource.query(`SELECT coalesce(sum((state->>'count')::bigint), 0) AS n FROM actor_state WHERE id LIKE $1`, [like]);
  return Number(r[0].n);
}

/**
 * Runtime capacity: 1,000 actors' mailboxes are filled while no instance runs, then one instance
 * drains them, persisting every turn. Measured on PostgreSQL's clock from the instance's first lease
 * grant to its last state commit, so neither the sender nor the process start is counted.
 */
async function prefill(sender: BuiltRuntime, actors: number, total: number): Promise<void> {
  const inflight = new Set<Promise<void>>();
  for (let sent = 0; sent < total; sent++) {
    const p: Promise<void> = sender.system.tell(`counter/tp-${sent % actors}`, 'inc', { by: 1 }).then(() => void inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 2000) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

async function drainThroughput(env: TestEnv, total: number): Promise<number> {
  while ((await sumCounts(env, 'counter/tp-%')) < total) await sleep(20);
  const r = await env.dataSource.query(
    `SELECT extract(epoch FROM (SELECT max(updated_at) FROM actor_state WHERE id LIKE 'counter/tp-%') - (SELECT min(fenced_at) FROM shard_fence)) AS s`,
  );
  return total / Number(r[0].s);
}

/** The same with the sender running concurrently on this 2-core machine (sender-bound). */
async function offeredThroughput(env: TestEnv, sender: BuiltRuntime, actors: number, total: number): Promise<number> {
  const t0 = performance.now();
  const inflight = new Set<Promise<void>>();
  for (let sent = 0; sent < total; sent++) {
    const p: Promise<void> = sender.system.tell(`counter/otp-${sent % actors}`, 'inc', { by: 1 }).then(() => void inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 2000) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  while ((await sumCounts(env, 'counter/otp-%')) < total) await sleep(20);
  return total / ((performance.now() - t0) / 1000);
}

async function latency(sender: BuiltRuntime, rate = 2000, seconds = 6, actors = 1000): Promise<{ p50: number; p99: number; n: number; failed: number } & TailWindows> {
  const ids = Array.from({ length: actors }, (_, i) => `counter/lat-${i}`);
  const samples: Array<[sentAtMs: number, ms: number]> = [];
  const failures: string[] = [];
  const pending: Array<Promise<void>> = [];
  const tickMs = 5;
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; sent < due; sent++) {
      const start = performance.now();
      pending.push(
        sender.system.ask(ids[sent % actors], 'inc', { by: 1 }, 10000).then(
          () => void samples.push([start - t0, performance.now() - start]),
          (err: unknown) => void failures.push(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${String(err)}`),
        ),
      );
    }
    await sleep(tickMs);
  }
  await Promise.all(pending);
  // the first second warms activations up; measure the steady state
  const timed = samples.slice(Math.floor(samples.length / seconds));
  const steady = timed.map(([, ms]) => ms).sort((a, b) => a - b);
  if (failures.length > 0) process.stderr.write(`  ${failures.length} asks failed, first: ${failures[0]}\n`);
  return { p50: pct(steady, 50), p99: pct(steady, 99), n: steady.length, failed: failures.length, ...tailWindows(timed) };
}

async function activations(sender: BuiltRuntime, n = 10000): Promise<number> {
  const t0 = performance.now();
  const all: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i++) all.push(sender.system.ask(`counter/act-${i}`, 'inc', { by: 1 }, 60000));
  await Promise.all(all);
  return n / ((performance.now() - t0) / 1000);
}

async function failover(env: TestEnv, kills = 20): Promise<{ p50: number; p99: number; max: number; kills: number; lost: number; duplicated: number; accepted: number }> {
  const cluster = new GodelCluster({
    redisUrl: env.redisUrl,
    databaseUrl: env.databaseUrl,
    keyPrefix: `${env.keyPrefix}f`,
    schema: `${env.schema}f`,
    env: { GODEL_SHARDS: String(SHARDS), GODEL_LEASE_TTL_MS: String(LEASE_TTL_MS) },
  });
  const fenv = { ...env, keyPrefix: `${env.keyPrefix}f` };
  const ds = await openDatabase({ url: env.databaseUrl, schema: `${env.schema}f` });
  const sender = buildRuntime({ redisUrl: env.redisUrl, dataSource: ds, keyPrefix: fenv.keyPrefix, runtime: { ...env.config.runtime, shardCount: SHARDS }, definitions: [counterActor], hostShards: false });
  await sender.system.start();
  try {
    return await killLoop(cluster, sender, kills);
  } finally {
    // Also on a failed run: no member process may outlive the bench.
    await cluster.stopAll();
    await sender.close();
    await ds.query(`DROP SCHEMA IF EXISTS ${env.schema}f CASCADE`);
    await ds.destroy();
  }
}

async function killLoop(cluster: GodelCluster, sender: BuiltRuntime, kills: number): Promise<{ p50: number; p99: number; max: number; kills: number; lost: number; duplicated: number; accepted: number }> {
  await Promise.all([cluster.start('a'), cluster.start('b'), cluster.start('c')]);
  const counters = Array.from({ length: 64 }, (_, i) => `counter/fo-${i}`);
  const accepted = new Map(counters.map((c) => [c, 0]));
  let sending = true;
  const stream = (async () => {
    while (sending) {
      await Promise.all(counters.map((c) => sender.system.tell(c, 'inc', {}).then(() => accepted.set(c, accepted.get(c)! + 1))));
      await sleep(50);
    }
  })();
  const times: number[] = [];
  let spare = 0;
  for (let k = 0; k < kills; k++) {
    await sleep(300);
    const owners = new Map<number, { owner: string; epoch: number }>();
    for (let s = 0; s < SHARDS; s++) {
      const h = await sender.leases.holder(s);
      if (h) owners.set(s, { owner: h.owner, epoch: h.epoch });
    }
    const counts = new Map<string, number>();
    for (const { owner } of owners.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    const victimId = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const victim = cluster.byInstance(victimId)!;
    const probe = counters.find((c) => owners.get(shardOf(parseActorId(c), SHARDS))?.owner === victimId)!;
    const oldEpoch = owners.get(shardOf(parseActorId(probe), SHARDS))!.epoch;
    const t0 = performance.now();
    await cluster.kill(victim.name);
    // The probe shares the victim's shard (same affinity key) but has its own state, so it does not
    // disturb the lost/duplicated accounting of the stream counters.
    const probeId = `${probe}:probe`;
    for (;;) {
      const r = await sender.system.ask<{ epoch: number }>(probeId, 'probe', {}, 250).catch(() => undefined);
      if (r && r.epoch > oldEpoch) {
        times.push(performance.now() - t0);
        break;
      }
    }
    await cluster.start(`spare${spare++}`);
    process.stderr.write(`  kill ${k + 1}/${kills}: ${victimId} → failover ${times[times.length - 1].toFixed(0)} ms\n`);
  }
  sending = false;
  await stream;
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline && (await Promise.all(counters.map((c) => sender.system.depth(c)))).some((d) => d > 0)) await sleep(100);
  const states = await Promise.all(counters.map((c) => sender.system.ask<CounterState>(c, 'get', {}, 10000)));
  let lost = 0;
  let duplicated = 0;
  let total = 0;
  counters.forEach((c, i) => {
    const diff = states[i].count - accepted.get(c)!;
    total += accepted.get(c)!;
    if (diff < 0) lost += -diff;
    else duplicated += diff;
  });
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p99: pct(times, 99), max: times[times.length - 1], kills: times.length, lost, duplicated, accepted: total };
}

/** The floor under any durable turn: one single-row commit on this PostgreSQL (WAL flush). */
async function commitLatency(env: TestEnv): Promise<{ p50: number; p99: number }> {
  await env.dataSource.query(`CREATE TABLE IF NOT EXISTS bench_commit (id int PRIMARY KEY, v int)`);
  await env.dataSource.query(`INSERT INTO bench_commit VALUES (1, 0) ON CONFLICT DO NOTHING`);
  const t: number[] = [];
  for (let i = 0; i < 500; i++) {
    const s = performance.now();
    await env.dataSource.query(`UPDATE bench_commit SET v = v + 1 WHERE id = 1`);
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return { p50: pct(t, 50), p99: pct(t, 99) };
}

async function main(): Promise<void> {
  if (process.argv.includes('--latency-only')) return latencyOnly();
  const loadStart = load1m();
  const env = await createTestEnv({ shardCount: SHARDS });
  const cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_SHARDS: String(SHARDS), GODEL_MAX_IN_FLIGHT: '20000' } });
  const sender = buildRuntime({ redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: { ...env.config.runtime, shardCount: SHARDS }, definitions: [counterActor], hostShards: false });
  try {
    await sender.system.start();
    process.stderr.write('raw redis baseline...\n');
    const raw = await rawRedis(env.redisUrl, env.keyPrefix);
    process.stderr.write('throughput (1 instance, 1000 actors, state committed every turn)...\n');
    const TOTAL = 100000;
    await prefill(sender, 1000, TOTAL);
    const server = await cluster.start('single');
    const tp = await drainThroughput(env, TOTAL);
    const offered = await offeredThroughput(env, sender, 1000, 50000);
    process.stderr.write('latency at 2000 msg/s, 3 runs...\n');
    const lat = await latencyRuns(() => latency(sender), server.url!);
    process.stderr.write('10,000 activations...\n');
    const act = await activations(sender);
    await cluster.stopAll();
    process.stderr.write('throughput with tracing off / on (OTLP to a local receiver), alternating rounds...\n');
    const traced = await tracedThroughput(env, { shards: SHARDS, actors: 1000, total: 50000 });
    // The same latency run with commits that do not wait for the WAL flush: shows what the disk costs.
    process.stderr.write('latency at 2000 msg/s, synchronous_commit=off...\n');
    const relaxed = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_SHARDS: String(SHARDS), GODEL_DB_SYNC_COMMIT: 'off' } });
    await relaxed.start('relaxed');
    const latRelaxed = await latency(sender);
    const loadEnd = load1m();
    await relaxed.stopAll();
    const fsync = await commitLatency(env);
    process.stderr.write('failover (20 SIGKILLs over 3 instances)...\n');
    const fo = await failover(env);
    const result = {
      raw_redis_msgs_per_s: Math.round(raw),
      throughput_msgs_per_s: Math.round(tp),
      ratio_to_raw: Number((tp / raw).toFixed(3)),
      offered_throughput_msgs_per_s: Math.round(offered),
      throughput_untraced_msgs_per_s: Math.round(traced.offMsgsPerS),
      throughput_traced_msgs_per_s: Math.round(traced.onMsgsPerS),
      traced_ratio: Number((traced.onMsgsPerS / traced.offMsgsPerS).toFixed(3)),
      throughput_traced_sampled_msgs_per_s: Math.round(traced.sampledMsgsPerS),
      traced_ratio_sampled: Number((traced.sampledMsgsPerS / traced.offMsgsPerS).toFixed(3)),
      trace_sample_ratio: traced.sampleRatio,
      cpu_us_per_msg_untraced: Math.round(traced.cpuUsPerMsg.off),
      cpu_us_per_msg_traced: Math.round(traced.cpuUsPerMsg.all),
      cpu_us_per_msg_traced_sampled: Math.round(traced.cpuUsPerMsg.sampled),
      traced_cpu_ratio: Number((traced.cpuUsPerMsg.off / traced.cpuUsPerMsg.all).toFixed(3)),
      traced_spans_exported: traced.spans,
      // the worst of 3 consecutive runs (each run's numbers and probes in latency_runs)
      p50_ms: Math.max(...lat.p50Runs),
      p99_ms: lat.p99Max,
      p99_ms_runs: lat.p99Runs.join(' / '),
      p99_ms_runs_max: lat.p99Max,
      activations_per_s: Math.round(act),
      p50_ms_sync_commit_off: Number(latRelaxed.p50.toFixed(2)),
      p99_ms_sync_commit_off: Number(latRelaxed.p99.toFixed(2)),
      pg_commit_p50_ms: Number(fsync.p50.toFixed(2)),
      pg_commit_p99_ms: Number(fsync.p99.toFixed(2)),
      failover_ms_p50: Math.round(fo.p50),
      failover_ms_p99: Math.round(fo.p99),
      failover_kills: fo.kills,
      lost: fo.lost,
      duplicated: fo.duplicated,
      failover_messages: fo.accepted,
      lease_ttl_ms: LEASE_TTL_MS,
      shards: SHARDS,
      machine: `${(await import('node:os')).cpus().length} cores, node ${process.version}`,
      // the machine is shared: latencies mean little without the load they were measured under
      load_avg_1m_start: loadStart,
      load_avg_1m_runs: lat.runs.map((r) => r.load_avg_1m).join(' / '),
      load_avg_1m_end: loadEnd,
      at: new Date().toISOString(),
    };
    const targets: Record<string, string> = {
      throughput_msgs_per_s: '≥ 5000',
      ratio_to_raw: '≥ 0.3',
      traced_ratio: '≥ 0.9',
      p99_ms_runs_max: '≤ 10',
      activations_per_s: '≥ 2000',
      failover_ms_p99: '≤ 5000',
      lost: '= 0',
      duplicated: '= 0',
    };
    const rows = Object.entries(result).map(([k, v]) => `| ${k.padEnd(22)} | ${String(v).padStart(26)} | ${(targets[k] ?? '').padEnd(7)} |`);
    process.stdout.write(['| metric                 |                      value | target  |', '|---|---|---|', ...rows].join('\n') + '\n');
    const out = join(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'actors.json'), JSON.stringify({ ...result, p99_ms_runs: lat.p99Runs, latency_runs: lat.runs }, null, 2) + '\n');
  } finally {
    await cluster.stopAll();
    await sender.close();
    await env.cleanup();
  }
}

/**
 * `node dist/bench/actors.bench.js --latency-only [--runs N] [--server-env K=V ...] [--server-node-arg X ...]`: only the 2,000 msg/s
 * ask latency, N runs (default 3) with probes, against a fresh server started with the extra env
 * (e.g. the old read path for a same-conditions baseline). Writes bench/results/actors-latency.json.
 */
async function latencyOnly(): Promise<void> {
  const arg = (name: string) => process.argv.flatMap((a, i) => (a === name ? [process.argv[i + 1]] : []));
  const extra = Object.fromEntries(arg('--server-env').map((kv) => kv.split('=') as [string, string]));
  const runs = Number(arg('--runs')[0] ?? RUNS);
  const prof = arg('--server-cpu-prof')[0];
  // `--server-node-arg X` (repeatable): a V8/Node flag for the server (e.g. --max-semi-space-size=32).
  const nodeArgs = [...arg('--server-node-arg'), ...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [])];
  const env = await createTestEnv({ shardCount: SHARDS });
  const cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_SHARDS: String(SHARDS), ...extra }, nodeArgs });
  // The sender takes the server's GODEL_REDIS_PIPELINE too: a baseline run is the old path on both sides.
  const redisPipeline = extra.GODEL_REDIS_PIPELINE === undefined ? env.config.runtime.redisPipeline : extra.GODEL_REDIS_PIPELINE !== 'false';
  const sender = buildRuntime({ redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: { ...env.config.runtime, shardCount: SHARDS, redisPipeline }, definitions: [counterActor], hostShards: false });
  try {
    await sender.system.start();
    const server = await cluster.start('single', 180_000);
    // Not measured: 3 s at the same rate, so the runs meet a warm server (JIT, activations, first full GC)
    // as they do in the full bench, where they follow the throughput runs.
    process.stderr.write('warm-up: 3 s at 2000 msg/s (not measured)...\n');
    await latency(sender, 2000, 3);
    const lat = await latencyRuns(() => latency(sender), server.url!, runs);
    const result = { p50_ms_runs: lat.p50Runs, p99_ms_runs: lat.p99Runs, p99_ms_runs_max: lat.p99Max, server_env: extra, server_node_args: nodeArgs, sender_exec_argv: process.execArgv, latency_runs: lat.runs, at: new Date().toISOString() };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    const out = join(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'actors-latency.json'), JSON.stringify(result, null, 2) + '\n');
  } finally {
    await cluster.stopAll();
    await sender.close();
    await env.cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
