/**
 * Exactly-once across Redis reconnects with real server processes (issue 15). Real: two compiled
 * Godel servers (child processes, the cluster fixture), each reaching Redis through its own loopback
 * TCP proxy; Redis; PostgreSQL; HTTP. Mocked: nothing. Needs `npm run build` (the test command does it).
 */
import { randomBytes } from 'node:crypto';
import { adminToken, bearer, createTestEnv, GodelCluster, TcpProxy, type TestEnv } from '@godel/testing';

const SHARDS = 8;

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not met in ${timeoutMs} ms`);
}

describe('Redis connection cuts under real server processes', () => {
  let env: TestEnv;
  let cluster: GodelCluster;
  const proxies = new Map<string, TcpProxy>();

  beforeEach(async () => {
    env = await createTestEnv({ shardCount: SHARDS, leaseTtlMs: 2000 });
    cluster = new GodelCluster({
      redisUrl: env.redisUrl,
      databaseUrl: env.databaseUrl,
      keyPrefix: env.keyPrefix,
      schema: env.schema,
      env: { GODEL_SHARDS: String(SHARDS), GODEL_LEASE_TTL_MS: '2000', GODEL_IDLE_TIMEOUT_MS: '10000', GODEL_RATE_LIMIT_PER_S: '100000', GODEL_RATE_LIMIT_BURST: '100000' },
    });
  });

  afterEach(async () => {
    for (const p of proxies.values()) await p.up();
    await cluster.stopAll();
    for (const p of proxies.values()) await p.down();
    proxies.clear();
    await env.cleanup();
  });

  /** Starts a member whose Redis connections all go through its own proxy. */
  async function startBehindProxy(name: string): Promise<string> {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(env.redisUrl).port || 6379));
    await proxy.up();
    proxies.set(name, proxy);
    const m = await cluster.startWith(name, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    return m.url!;
  }

  it('20 cuts of the members\' Redis connections mid-stream: acknowledged tells lost 0, duplicated 0; no unhandled ioredis errors', async () => {
    const urls = [await startBehindProxy('a'), await startBehindProxy('b')];
    const token = await adminToken(urls[0], cluster.adminKey);
    const counters = Array.from({ length: 24 }, (_, i) => `k${i}`);
    const acked = new Map(counters.map((c) => [c, 0]));
    const run = randomBytes(4).toString('hex');
    let sending = true;
    let seq = 0;
    let retried = 0;
    // A user's client: a tell is acknowledged by 202; on 503 or a dropped response it retries with the same id.
    const tell = async (counter: string): Promise<void> => {
      const id = `${run}-${++seq}`;
      for (let attempt = 0; ; attempt++) {
        const url = urls[(seq + attempt) % urls.length];
        try {
          const res = await fetch(`${url}/api/v1/actors/counter/${counter}/messages`, {
            method: 'POST',
            headers: bearer(token, { 'content-type': 'application/json' }),
            body: JSON.stringify({ type: 'inc', payload: { by: 1 }, id }),
            signal: AbortSignal.timeout(15000),
          });
          await res.arrayBuffer();
          if (res.status === 202) {
            acked.set(counter, acked.get(counter)! + 1);
            return;
          }
          if (res.status !== 503) throw new Error(`tell answered ${res.status}`);
        } catch (err) {
          if (String(err).includes('tell answered')) throw err;
        }
        retried++;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const workers = counters.map(async (c) => {
      while (sending) {
        await tell(c);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    const names = ['a', 'b'];
    for (let cut = 0; cut < 20; cut++) {
      await new Promise((r) => setTimeout(r, 400 + Math.floor(Math.random() * 200)));
      proxies.get(names[cut % 2])!.cut();
    }
    await new Promise((r) => setTimeout(r, 1000));
    sending = false;
    await Promise.all(workers);

    const depth = async () => Number((await env.redis.eval(`local n = 0 for i = 0, ${SHARDS - 1} do n = n + #redis.call('HVALS', ARGV[1] .. ':{s' .. i .. '}:depth') end return n`, 0, env.keyPrefix)) as number);
    await waitFor(async () => (await depth()) === 0, 60000, 'mailboxes drained');
    const rows = (await env.dataSource.query(`SELECT id, state FROM actor_state WHERE kind = 'counter'`)) as Array<{ id: string; state: { count: number } }>;
    const counts = new Map(rows.map((r) => [r.id.slice('counter/'.length), r.state.count]));
    let lost = 0;
    let duplicated = 0;
    for (const c of counters) {
      const diff = (counts.get(c) ?? 0) - acked.get(c)!;
      if (diff < 0) lost -= diff;
      else duplicated += diff;
    }
    const total = [...acked.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(`cluster, 20 cuts: acknowledged ${total}, lost ${lost}, duplicated ${duplicated}, client retries ${retried}\n`);
    expect(total).toBeGreaterThan(50); // the load really ran across the cuts (slow on a loaded machine)
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
    for (const m of cluster.members.values()) expect({ member: m.name, unhandled: m.unhandledRedisErrors }).toEqual({ member: m.name, unhandled: 0 });
  }, 110000);

  it('an ask through a member whose Redis is unreachable answers 503 with Retry-After, quickly', async () => {
    const [url] = [await startBehindProxy('a')];
    const token = await adminToken(url, cluster.adminKey);
    const ask = () =>
      fetch(`${url}/api/v1/actors/counter/asked/messages`, {
        method: 'POST',
        headers: bearer(token, { 'content-type': 'application/json' }),
        body: JSON.stringify({ type: 'inc', ask: true, timeoutMs: 15000 }),
        signal: AbortSignal.timeout(30000),
      });
    const ok = await ask();
    expect(ok.status).toBe(202);
    await proxies.get('a')!.down();
    const t0 = Date.now();
    const res = await ask();
    const took = Date.now() - t0;
    const body = (await res.json()) as { code: string; retryable: boolean };
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(body.retryable).toBe(true);
    expect(['mailbox.unavailable', 'storage.unavailable']).toContain(body.code);
    expect(took).toBeLessThan(10000); // the ask's own timeout is 15 s
    await proxies.get('a')!.up();
    await waitFor(async () => (await ask()).status === 202, 30000, 'answers again once Redis is back');
    expect(cluster.members.get('a')!.unhandledRedisErrors).toBe(0);
  }, 90000);
});
