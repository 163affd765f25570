/**
 * deploy/observability: the alert rules pass `promtool check rules` and their unit tests
 * (`promtool test rules`, Debian package `prometheus`, installed by .ci/run), and every metric the
 * rules and the Grafana dashboard use is exported by a running server, scraped here.
 * Real: promtool, one compiled Godel server, Redis, PostgreSQL. Mocked: nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { adminToken, bearer, createTestEnv, GodelCluster, type TestEnv } from '@godel/testing';

const DIR = join(__dirname, '..', '..', 'deploy', 'observability');
/** Series Prometheus makes itself, not Godel. */
const PROMETHEUS_OWN = new Set(['up']);
const PROMQL_WORDS = new Set(['sum', 'max', 'min', 'avg', 'rate', 'increase', 'delta', 'deriv', 'histogram_quantile', 'by', 'without', 'and', 'or', 'unless', 'on', 'ignoring', 'le', 'offset', 'bool', 'count', 'topk', 'bottomk', 'abs', 'label_values']);

interface Rules {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
}
interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  templating: { list: Array<{ query?: unknown }> };
}

function alertExprs(): string[] {
  return (parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as Rules).groups.flatMap((g) => g.rules.map((r) => r.expr));
}

function dashboard(): Dashboard {
  return JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as Dashboard;
}

function dashboardExprs(): string[] {
  const d = dashboard();
  const vars = d.templating.list.map((v) => (typeof v.query === 'string' ? v.query : '')).filter((q) => q.includes('('));
  return [...d.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...vars];
}

/** Metric names in a PromQL expression (label matchers, strings, durations and functions removed). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/label_values\(([^,]+),[^)]*\)/g, ' $1 ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/"[^"]*"/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]).filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w));
}

/** A histogram's series (_bucket, _count, _sum) belong to the family. */
function family(name: string, exported: Set<string>): string {
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return exported.has(name) ? name : base;
}

describe('deploy/observability', () => {
  it('promtool check rules: the alert rules are valid', () => {
    const out = execFileSync('promtool', ['check', 'rules', join(DIR, 'alerts.yml')], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS: 6 rules found');
  });

  it('promtool test rules: each alert fires in its scenario and a healthy cluster raises none', () => {
    const out = execFileSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
    const rules = (parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as Rules).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(rules.sort()).toEqual(['GodelBudgetBurn', 'GodelFailoverStorm', 'GodelHigh5xxRate', 'GodelInstanceDown', 'GodelMailboxGrowth', 'GodelMergeQueueStuck']);
    const tests = readFileSync(join(DIR, 'alerts.test.yml'), 'utf8');
    for (const r of rules) expect(tests).toContain(`alertname: ${r}`);
  });

  it('the PromQL parsing of this test finds the metrics it should', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, route) (rate(godel_http_request_duration_seconds_bucket{instance=~"$instance"}[5m])))')).toEqual(['godel_http_request_duration_seconds_bucket']);
    expect(metricNames('label_values(godel_owned_shards, instance)')).toEqual(['godel_owned_shards']);
    expect(metricNames('max(godel_merge_queue_depth) > 0 unless sum(increase(godel_merge_duration_seconds_count[30m])) > 0')).toEqual(['godel_merge_queue_depth', 'godel_merge_duration_seconds_count']);
  });

  describe('against a running server', () => {
    let env: TestEnv;
    let cluster: GodelCluster;
    let exported: Set<string>;
    let text: string;
    beforeAll(async () => {
      env = await createTestEnv({ shardCount: 4 });
      cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_SHARDS: '4' } });
      const m = await cluster.start('a', 60_000);
      for (const path of ['/health', '/ready', '/api/v1/teams']) await fetch(`${m.url}${path}`);
      // Three asks to one counter: three turns, each committed before its reply.
      const token = await adminToken(m.url!, cluster.adminKey);
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${m.url}/api/v1/actors/counter/metrics-probe/messages`, { method: 'POST', headers: bearer(token, { 'content-type': 'application/json' }), body: JSON.stringify({ type: 'inc', ask: true }) });
        expect(((await res.json()) as { reply: unknown }).reply).toBe(i + 1);
      }
      text = await (await fetch(`${m.url}/metrics`)).text();
      exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]));
    }, 90_000);
    afterAll(async () => {
      await cluster?.stopAll();
      await env?.cleanup();
    });

    it('exports every metric the alert rules use', () => {
      const used = [...new Set(alertExprs().flatMap(metricNames))].filter((n) => !PROMETHEUS_OWN.has(n));
      expect(used.length).toBeGreaterThanOrEqual(5);
      expect(used.filter((n) => !exported.has(family(n, exported)))).toEqual([]);
    });

    it('exports every metric the dashboard uses', () => {
      const used = [...new Set(dashboardExprs().flatMap(metricNames))].filter((n) => !PROMETHEUS_OWN.has(n));
      expect(used.length).toBeGreaterThanOrEqual(15);
      expect(used.filter((n) => !exported.has(family(n, exported)))).toEqual([]);
    });

    it('records HTTP latency by route template and status, and the runtime gauges have values', () => {
      expect(text).toMatch(/godel_http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} [1-9]/);
      expect(text).toMatch(/godel_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/teams",status="401"\} [1-9]/);
      expect(text).toMatch(/^godel_owned_shards 4$/m);
      expect(text).toMatch(/^godel_lease_takeovers_total [4-9]/m);
      expect(text).toMatch(/^godel_mailbox_depth \d+$/m);
      expect(text).toMatch(/^godel_merge_queue_depth 0$/m);
      expect(text).toMatch(/^godel_sse_streams 0$/m);
    });

    it('times every group commit of actor state, with its rows', () => {
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      // The three asks' turns, in at most three commits (fewer when batched); nothing else committed state yet.
      const commits = value('godel_state_commit_duration_seconds_count');
      expect(commits).toBeGreaterThanOrEqual(1);
      expect(value('godel_state_commit_rows_count')).toBe(commits);
      expect(value('godel_state_commit_rows_sum')).toBeGreaterThanOrEqual(3);
      expect(value('godel_state_commit_duration_seconds_sum')).toBeGreaterThan(0);
      expect(text).toMatch(/^godel_actor_turn_duration_seconds_count\{kind="counter",outcome="ok"\} 3$/m);
    });
  });
});
