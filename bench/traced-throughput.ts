import { openDatabase } from '@godel/persistence';
import { counterActor, GodelCluster, startOtlpReceiver, type TestEnv } from '@godel/testing';
import { buildRuntime } from '../apps/godel/src/runtime/build-runtime';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TracedThroughput {
  /** Drain rate with tracing off (no OTEL endpoint), msg/s, summed over the untraced rounds. */
  offMsgsPerS: number;
  /** The same with OTEL_EXPORTER_OTLP_ENDPOINT set: every turn a span, exported to a local receiver. */
  onMsgsPerS: number;
  /** Spans the receiver got (≥ the traced messages: each turn is one span). */
  spans: number;
  rounds: Array<{ traced: boolean; msgsPerS: number }>;
}

/**
 * The cost of tracing on the actor runtime, measured like the untraced drain (mailboxes filled while
 * no instance runs, then one instance drains them committing every turn; the rate on PostgreSQL's
 * clock from the first lease grant to the last commit). Rounds alternate off, on, on, off in fresh
 * key prefixes and schemas, so a drift of the shared machine's load hits both sides alike. With
 * tracing on, each turn is a span (the prefilled messages carry no context, so each starts a trace)
 * exported over OTLP/HTTP to an in-process receiver: the worst case, every span kept.
 */
export async function tracedThroughput(env: TestEnv, o: { shards: number; actors: number; total: number }): Promise<TracedThroughput> {
  const receiver = await startOtlpReceiver();
  try {
    const rounds: TracedThroughput['rounds'] = [];
    for (const traced of [false, true, true, false]) {
      rounds.push({ traced, msgsPerS: await drainOnce(env, o, rounds.length, traced ? receiver.url : undefined) });
      process.stderr.write(`  traced=${traced}: ${Math.round(rounds[rounds.length - 1].msgsPerS)} msg/s\n`);
    }
    const mean = (t: boolean) => {
      const r = rounds.filter((x) => x.traced === t);
      // Harmonic mean: total messages over total time.
      return r.length / r.reduce((s, x) => s + 1 / x.msgsPerS, 0);
    };
    // The last spans are exported on the members' shutdown; give the receiver a moment to parse them.
    await sleep(500);
    return { offMsgsPerS: mean(false), onMsgsPerS: mean(true), spans: receiver.spans().length, rounds };
  } finally {
    await receiver.close();
  }
}

async function drainOnce(env: TestEnv, o: { shards: number; actors: number; total: number }, n: number, endpoint: string | undefined): Promise<number> {
  const keyPrefix = `${env.keyPrefix}tr${n}`;
  const schema = `${env.schema}tr${n}`;
  const ds = await openDatabase({ url: env.databaseUrl, schema });
  const sender = buildRuntime({ redisUrl: env.redisUrl, dataSource: ds, keyPrefix, runtime: { ...env.config.runtime, shardCount: o.shards }, definitions: [counterActor], hostShards: false });
  const cluster = new GodelCluster({
    redisUrl: env.redisUrl,
    databaseUrl: env.databaseUrl,
    keyPrefix,
    schema,
    env: { GODEL_SHARDS: String(o.shards), GODEL_MAX_IN_FLIGHT: '20000', ...(endpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } : {}) },
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
    if (!!endpoint !== (member.lines.find((l) => l.event === 'godel.ready')?.tracing === true)) throw new Error('the member did not start with the intended tracing setting');
    const done = async () => Number((await ds.query(`SELECT coalesce(sum((state->>'count')::bigint), 0) AS n FROM actor_state WHERE id LIKE 'counter/tr-%'`))[0].n);
    while ((await done()) < o.total) await sleep(20);
    const r = await ds.query(`SELECT extract(epoch FROM (SELECT max(updated_at) FROM actor_state WHERE id LIKE 'counter/tr-%') - (SELECT min(fenced_at) FROM shard_fence)) AS s`);
    return o.total / Number(r[0].s);
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
