/**
 * One trace for one intent across two instances. Real: two compiled Godel servers (an `api`-only
 * member that takes the request and a `runtime` member that hosts the team, its agents and the
 * refinery), real pi processes playing the offline scripted model, git, Redis, PostgreSQL, and the
 * OpenTelemetry SDK exporting over OTLP/HTTP to an in-process receiver. Mocked: nothing.
 * The HTTP span of `POST /api/v1/intents` on one instance is the root; team turns, agent turns, the
 * tool calls of the coding agents and the refinery's merge on the other instance hang under it, with
 * every parent link pointing at a span of the same trace (the context travels in the envelopes and
 * in the merge job).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminToken, bearer, createSampleRepo, createTestEnv, GodelCluster, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan, type TeamPlaybook, type TestEnv } from '@godel/testing';

const SHARDS = 4;
const SERVER = 2; // OTLP SpanKind
const REPO = { 'README.md': '# sample\n', 'check.js': "console.log('ok');\n" };

describe('an intent traced end to end', () => {
  let env: TestEnv;
  let receiver: OtlpReceiver;
  let api: GodelCluster;
  let runtime: GodelCluster;
  let root: string;
  afterAll(async () => {
    await api?.stopAll();
    await runtime?.stopAll();
    await receiver?.close();
    await env?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('one trace: HTTP on one instance → team turns → agent turns → tool calls → merge on the other, parents intact', async () => {
    env = await createTestEnv({ shardCount: SHARDS });
    receiver = await startOtlpReceiver();
    root = await mkdtemp(join(tmpdir(), 'godel-trace-'));
    const book: TeamPlaybook = {
      plan: { tasks: [{ id: 'one', title: 'One', prompt: 'Write one.txt', dependsOn: [] }] },
      workers: { one: { task: { files: { 'one.txt': '1\n' } } } },
    };
    await writeFile(join(root, 'playbook.json'), JSON.stringify(book));
    const common = {
      redisUrl: env.redisUrl,
      databaseUrl: env.databaseUrl,
      keyPrefix: env.keyPrefix,
      schema: env.schema,
      adminKey: env.adminKey,
      jwtSecret: 'j'.repeat(40),
    };
    const base = { GODEL_SHARDS: String(SHARDS), GODEL_PLAYBOOK: join(root, 'playbook.json'), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    runtime = new GodelCluster({ ...common, env: { ...base, GODEL_ROLES: 'api,runtime', GODEL_HOME: join(root, 'home-runtime') } });
    api = new GodelCluster({ ...common, env: { ...base, GODEL_ROLES: 'api', GODEL_HOME: join(root, 'home-api') } });
    const r = await runtime.start('runtime', 60_000);
    const a = await api.start('api', 60_000);
    expect(r.lines.find((l) => l.event === 'godel.ready')?.tracing).toBe(true);

    const token = await adminToken(a.url!, env.adminKey);
    const repo = await createSampleRepo(root, REPO);
    const res = await fetch(`${a.url}/api/v1/intents`, { method: 'POST', headers: bearer(token, { 'content-type': 'application/json' }), body: JSON.stringify({ intent: 'write one file', repo, verify: 'node check.js' }) });
    expect(res.status).toBe(202);
    const { team } = (await res.json()) as { team: string };
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = (await (await fetch(`${a.url}/api/v1/teams/${team}`, { headers: bearer(token) })).json()) as { status: string };
      if (s.status === 'succeeded') break;
      if (['failed', 'cancelled'].includes(s.status) || Date.now() > deadline) throw new Error(`team ${team} ended ${s.status}`);
      await new Promise((res2) => setTimeout(res2, 300));
    }
    // SIGTERM: each server exports what it buffered before it exits.
    await api.stopAll();
    await runtime.stopAll();

    const spans = receiver.spans();
    const http = spans.filter((s) => s.name === 'POST /api/v1/intents' && s.kind === SERVER);
    expect(http).toHaveLength(1);
    const rootSpan = http[0];
    expect(rootSpan.parentSpanId).toBeUndefined();
    expect(rootSpan.attributes).toMatchObject({ 'http.route': '/api/v1/intents', 'http.response.status_code': 202 });
    const trace = spans.filter((s) => s.traceId === rootSpan.traceId);
    const ids = new Set(trace.map((s) => s.spanId));
    const names = (p: (s: ReceivedSpan) => boolean) => trace.filter(p).length;
    const summary = {
      teamTurns: names((s) => s.name === 'turn team'),
      agentTurns: names((s) => s.name === 'turn agent'),
      toolCalls: names((s) => s.name.startsWith('tool ')),
      merges: names((s) => s.name === 'refinery.merge' && s.attributes['godel.merge.outcome'] === 'merged'),
    };
    expect(summary).toEqual({ teamTurns: expect.any(Number), agentTurns: expect.any(Number), toolCalls: expect.any(Number), merges: 1 });
    expect(summary.teamTurns).toBeGreaterThanOrEqual(3); // start, agent updates, merge result
    expect(summary.agentTurns).toBeGreaterThanOrEqual(2); // prompt, turn end
    expect(summary.toolCalls).toBeGreaterThanOrEqual(1); // the worker's write
    // Parent links intact: every span but the root hangs under a span of this trace.
    const orphans = trace.filter((s) => s !== rootSpan && (!s.parentSpanId || !ids.has(s.parentSpanId))).map((s) => `${s.name} <- ${s.parentSpanId}`);
    expect(orphans).toEqual([]);
    // Two instances: HTTP on the api member, turns and the merge on the runtime member.
    expect(rootSpan.resource['service.instance.id']).toBe(a.instanceId);
    const merge = trace.find((s) => s.name === 'refinery.merge')!;
    expect(merge.resource['service.instance.id']).toBe(r.instanceId);
    expect(merge.events).toEqual(expect.arrayContaining(['merge.rebased', 'merge.verify_finished']));
    expect(new Set(trace.filter((s) => s.name.startsWith('turn ')).map((s) => s.resource['service.instance.id']))).toEqual(new Set([r.instanceId]));
    // The tool span sits under an agent turn, the merge under a team turn.
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    for (const t of trace.filter((s) => s.name.startsWith('tool '))) expect(byId.get(t.parentSpanId!)?.name).toBe('turn agent');
    expect(byId.get(merge.parentSpanId!)?.name).toBe('turn team');
  }, 240_000);
});
