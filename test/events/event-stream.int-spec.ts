/**
 * The event log over SSE across two real server processes: events appended on one instance reach
 * subscribers of the other through Redis, in sequence order; a reconnect with Last-Event-ID misses
 * nothing; 100 concurrent subscribers each get every event in order. Real: two compiled servers,
 * Redis, PostgreSQL, pi with the server's offline scripted model; the bulk test also appends from
 * this process through the same EventLog + EventStream the server uses (a third "instance").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '@godel/persistence';
import { adminToken, bearer, createSampleRepo, createTestEnv, GodelCluster, type TestEnv } from '@godel/testing';
import { EventStream } from '../../apps/godel/src/events/event-stream';

interface SseEvent {
  id: number;
  type: string;
}

/** Reads an SSE stream until `until` says stop or the time runs out. */
async function readSse(url: string, opts: { token: string; lastEventId?: number; until: (seen: SseEvent[]) => boolean; timeoutMs: number; onOpen?: () => void }): Promise<SseEvent[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), opts.timeoutMs);
  const seen: SseEvent[] = [];
  try {
    const res = await fetch(url, { headers: bearer(opts.token, opts.lastEventId ? { 'last-event-id': String(opts.lastEventId) } : {}), signal: ctrl.signal });
    opts.onOpen?.();
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    while (!opts.until(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(block);
        const type = /^event: (.+)$/m.exec(block);
        if (id && type) seen.push({ id: Number(id[1]), type: type[1] });
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return seen;
}

describe('event stream (SSE) across instances', () => {
  let env: TestEnv;
  let cluster: GodelCluster;
  let root: string;
  let token: string;

  beforeAll(async () => {
    env = await createTestEnv();
    root = await mkdtemp(join(tmpdir(), 'godel-sse-'));
    // 100+ streams on one key: this test is about fan-out, not the per-key cap (test/security/api-attacks covers that)
    const sse = { GODEL_SSE_MAX_PER_KEY: '1000' };
    cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_HOME: join(root, 'home'), GODEL_SHARDS: '4', ...sse } });
    await Promise.all([cluster.start('a'), cluster.start('b')]);
    // One token for both instances: they share GODEL_JWT_SECRET.
    token = await adminToken(cluster.members.get('a')!.url!, cluster.adminKey);
  }, 60000);

  afterAll(async () => {
    await cluster?.stopAll();
    await env?.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('100 subscribers on one instance get every event appended by the other, in order; Last-Event-ID resumes', async () => {
    const repo = await createSampleRepo(root);
    const a = cluster.members.get('a')!;
    const b = cluster.members.get('b')!;
    const url = `${b.url}/api/v1/events/stream?team=sse`;
    const done = (seen: SseEvent[]) => seen.some((e) => e.type === 'agent.turn_completed');
    let open = 0;
    const subscribers = Array.from({ length: 100 }, () => readSse(url, { token, until: done, timeoutMs: 40000, onOpen: () => open++ }));
    while (open < 100) await new Promise((r) => setTimeout(r, 50));
    const res = await fetch(`${a.url}/api/v1/agents`, {
      method: 'POST',
      headers: bearer(token, { 'content-type': 'application/json' }),
      body: JSON.stringify({ team: 'sse', name: 'w', repo, prompt: 'hello' }),
    });
    expect(res.status).toBe(201);
    const streams = await Promise.all(subscribers);
    const log = (await (await fetch(`${a.url}/api/v1/events?team=sse&limit=1000`, { headers: bearer(token) })).json()) as { items: Array<{ seq: number; type: string }> };
    const upTo = streams[0][streams[0].length - 1].id;
    const expected = log.items.filter((e) => e.seq <= upTo).map((e) => e.seq);
    expect(expected.length).toBeGreaterThan(3);
    expect(streams).toHaveLength(100);
    for (const s of streams) expect(s.map((e) => e.id)).toEqual(expected);

    // reconnect from the middle: exactly the rest
    const middle = expected[Math.floor(expected.length / 2)];
    const resumed = await readSse(url, { token, lastEventId: middle, until: (seen) => seen.length >= expected.filter((x) => x > middle).length, timeoutMs: 10000 });
    expect(resumed.map((e) => e.id)).toEqual(expected.filter((x) => x > middle));

    // latest=true: the last `limit` events, oldest first (where the dashboard's feed starts)
    const latest = (await (await fetch(`${a.url}/api/v1/events?team=sse&latest=true&limit=3`, { headers: bearer(token) })).json()) as { items: Array<{ seq: number }> };
    // (the agent may still append: compare with the log read afterwards, from the first one returned)
    expect(latest.items).toHaveLength(3);
    const following = (await (await fetch(`${a.url}/api/v1/events?team=sse&after=${latest.items[0].seq - 1}&limit=1000`, { headers: bearer(token) })).json()) as { items: Array<{ seq: number }> };
    expect(following.items.slice(0, 3).map((e) => e.seq)).toEqual(latest.items.map((e) => e.seq));
    expect(latest.items[2].seq).toBeGreaterThanOrEqual(log.items[log.items.length - 1].seq);
    const bad = await fetch(`${a.url}/api/v1/events?latest=yes`, { headers: bearer(token) });
    expect(bad.status).toBe(422);
  }, 60000);

  it('100 subscribers × 1,000 events appended in bursts: each gets all of them in order; one that drops mid-stream resumes with Last-Event-ID and misses nothing', async () => {
    // A third "instance": the server's own EventLog + EventStream on this process, publishing on the same Redis channel.
    const log = new EventLog(env.dataSource);
    const stream = new EventStream(log, env.redis, `${env.keyPrefix}:events`);
    await stream.start();
    try {
      const b = cluster.members.get('b')!;
      const start = (await (await fetch(`${b.url}/api/v1/events/head`, { headers: bearer(token) })).json()) as { seq: number };
      const url = `${b.url}/api/v1/events/stream?team=bulk&after=${start.seq}`;
      const TOTAL = 1000;
      let open = 0;
      const subs = Array.from({ length: 100 }, () => readSse(url, { token, until: (seen) => seen.length >= TOTAL, timeoutMs: 40000, onOpen: () => open++ }));
      // one more that leaves after 300 events and comes back with Last-Event-ID
      const dropper = readSse(url, { token, until: (seen) => seen.length >= 300, timeoutMs: 40000, onOpen: () => open++ });
      while (open < 101) await new Promise((r) => setTimeout(r, 50));
      const seqs: number[] = [];
      for (let burst = 0; burst < 20; burst++) {
        // 50 concurrent appends per burst (batched into few INSERTs), interleaved with other teams' events
        const appended = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append({ type: 'bulk.test', team: 'bulk', data: { burst, i } })));
        await log.append({ type: 'other.noise', team: 'noise' });
        seqs.push(...appended);
        await new Promise((r) => setTimeout(r, 10));
      }
      seqs.sort((x, y) => x - y);
      // the client handled 300 events; whatever else was in flight is lost with the connection
      const first = (await dropper).slice(0, 300);
      expect(first.map((e) => e.id)).toEqual(seqs.slice(0, 300));
      const rest = await readSse(`${b.url}/api/v1/events/stream?team=bulk`, { token, lastEventId: first[first.length - 1].id, until: (seen) => seen.length >= TOTAL - 300, timeoutMs: 20000 });
      expect([...first, ...rest].map((e) => e.id)).toEqual(seqs);
      const streams = await Promise.all(subs);
      expect(streams).toHaveLength(100);
      for (const s of streams) {
        expect(s).toHaveLength(TOTAL);
        expect(s.map((e) => e.id)).toEqual(seqs);
      }
      expect(streams.every((s) => s.every((e) => e.type === 'bulk.test'))).toBe(true);
    } finally {
      await log.flush();
      await stream.close();
    }
  }, 60000);

  it('rejects a bad Last-Event-ID with problem+json', async () => {
    const res = await fetch(`${cluster.members.get('b')!.url}/api/v1/events/stream`, { headers: bearer(token, { 'last-event-id': 'abc' }) });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { code: string }).code).toBe('request.invalid');
  });
});
