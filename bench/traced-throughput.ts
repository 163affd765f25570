import { readFileSync } from 'node:fs';
import { openDatabase } from '@godel/persistence';
import { counterActor, GodelCluster, startOtlpReceiver, type TestEnv } from '@godel/testing';
import { buildRuntime } from '../apps/godel/src';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Mode = 'off' | 'all' | 'sampled';

export interface TracedThroughput {
  /** Drain rate with tracing off (no OTEL endpoint), msg/s, over the untraced rounds. */
  offMsgsPerS: number;
  /** The same with OTEL_EXPORTER_OTLP_ENDPOINT set and every trace kept: each turn a span, exported. */
  onMsgsPerS: number;
  /** Tracing on with OTEL_TRACES_SAMPLER_ARG=`sampleRatio` (a tenth of the traces kept). */
  sampledMsgsPerS: number;
  sampleRatio: number;
  /**
   * CPU time of the draining server process per message (µs), by mode: unlike a rate, barely moved
   * by other work on a shared machine, and it is where tracing costs.
   */
  cpuUsPerMsg: Record<Mode, number>;
  /** Spans the receiver got. */
  spans: number;
  rounds: Array<{ mode: Mode; msgsPerS: number; cpuUsPerMsg: number }>;
}

/** user + system CPU of a process so far, in µs (Linux /proc). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command); clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/**
 * The cost of tracing on the actor runtime, measured like the untraced drain (mailboxes filled while
 * no instance runs, then one instance drains them committing every turn; the rate on PostgreSQL's
 * clock from the first lease grant to the last commit). Rounds run off, all, sampled, sampled, all,
 * off in fresh key prefixes and schemas, so a drift of the shared machine's load hits each mode
 * alike. With tracing on, each turn is a span (the prefilled messages carry no context, so each
 * starts a trace) exported over OTLP/HTTP to an in-process receiver; `all` keeps every trace (the
 * worst case), `sampled` keeps a tenth (OTEL_TRACES_SAMPLER_ARG=0.1).
 */
export async function tracedThroughput(env: TestEnv, o: { shards: number; actors: number; total: number }): Promise<TracedThroughput> {
  // Counting only: parsing every span here would take CPU from the server on this 2-core machine.
  const receiver = await startOtlpReceiver({ keepSpans: false });
  const sampleRatio = 0.1;
  try {
    const rounds: TracedThroughput['rounds'] = [];
    for (const mode of ['off', 'all', 'sampled', 'sampled', 'all', 'off'] as Mode[]) {
      const tracing = mode === 'off' ? undefined : { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER_ARG: mode === 'all' ? '1' : String(sampleRatio) };
      rounds.push({ mode, ...(await drainOnce(env, o, rounds.length, tracing)) });
      const last = rounds[rounds.length - 1];
      process.stderr.write(`  tracing ${mode}: ${Math.round(last.msgsPerS)} msg/s, ${last.cpuUsPerMsg.toFixed(0)} µs CPU/msg\n`);
    }
    const mean = (m: Mode) => {
      const r = rounds.filter((x) => x.mode === m);
      // Harmonic mean: total messages over total time.
      return r.length / r.reduce((s, x) => s + 1 / x.msgsPerS, 0);
    };
    // The last spans are exported on the members' shutdown; give the receiver a moment.
    await sleep(500);
    const cpu = (m: Mode) => {
      const r = rounds.filter((x) => x.mode === m);
      return r.reduce((s, x) => s + x.cpuUsPerMsg, 0) / r.length;
    };
    return {
      offMsgsPerS: mean('off'),
      onMsgsPerS: mean('all'),
      sampledMsgsPerS: mean('sampled'),
      sampleRatio,
      cpuUsPerMsg: { off: cpu('off'), all: cpu('all'), sampled: cpu('sampled') },
      spans: receiver.count(),
      rounds,
    };
  } finally {
    await receiver.close();
  }
}

async function drainOnce(env: TestEnv, o: { shards: number; actors: number; total: number }, n: number, tracing: Record<string, string> | undefined): Promise<{ msgsPerS: number; cpuUsPerMsg: number }> {
  const keyPrefix = `${env.keyPrefix}tr${n}`;
  const schema = `${env.schema}tr${n}`;
  const ds = await openDatabase({ url: env.databaseUrl, schema });
  const sender = buildRuntime({ redisUrl: env.redisUrl, dataSource: ds, keyPrefix, runtime: { ...env.config.runtime, shardCount: o.shards }, definitions: [counterActor], hostShards: false });
  const cluster = new GodelCluster({
    redisUrl: env.redisUrl,
    databaseUrl: env.databaseUrl,
    keyPrefix,
    schema,
    env: { GODEL_SHARDS: String(o.shards), GODEL_MAX_IN_FLIGHT: '20000', ...(tracing ?? {}) },
  });
  try {
    await sender.system.start();
    const inflight = new Set<Promise<void>>();
    for (let sent = 0; sent < o.total; sent++) {
      const p: Promise<void> = sender.system.tell(`counter/tr-${sent % o.actors}`, 'inc', { by: 1 }).then(() => void inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 2000) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const member = await cluster.start('drain');
    if (!!tracing !== (member.lines.find((l) => l.event === 'godel.ready')?.tracing === true)) throw new Error('the member did not start with the intended tracing setting');
    const done = async () => Number((await ds.query(`SELECT coalesce(sum((state->>'count')::bigint), 0) AS n FROM actor_state WHERE id LIKE 'counter/tr-%'`))[0].n);
    // CPU per message over what is handled after the start-up (module loading is not the runtime's).
    const cpu0 = cpuUs(member.pid);
    const done0 = await done();
    while ((await done()) < o.total) await sleep(20);
    const cpuUsPerMsg = (cpuUs(member.pid) - cpu0) / Math.max(1, o.total - done0);
    const r = await ds.query(`SELECT extract(epoch FROM (SELECT max(updated_at) FROM actor_state WHERE id LIKE 'counter/tr-%') - (SELECT min(fenced_at) FROM shard_fence)) AS s`);
    return { msgsPerS: o.total / Number(r[0].s), cpuUsPerMsg };
  } finally {
    await cluster.stopAll();
    let cursor = '0';
    do {
      const [next, keys] = await sender.redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await sender.redis.del(...keys);
    } while (cursor !== '0');
    await sender.close();
    await ds.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await ds.destroy();
  }
}
