/**
 * npm run bench:federation — federation across real server processes (compiled), each with its own
 * home folder, over one Redis and PostgreSQL; real `pi` agents on the offline scripted model, real git.
 *
 * host_loss_recovery_s: SIGKILL of the instance holding a team → every agent of the team that was
 *   running has started again on a survivor (its agent.started / agent.restarted event), KILLS times
 *   (a fresh instance replaces each killed one). Each team then runs to its end.
 * lost_commits: merged ledger entries of those teams not reachable from the target branch, plus
 *   tasks of succeeded teams that are not done (must be 0).
 * drain_s: an instance holding 2 running teams, from POST …/drain to holding no shard.
 * diff_rpc_ms: GET /api/v1/agents/:team/:name/diff through an instance that does not host the agent
 *   (instance RPC over the Redis transport), DIFFS calls.
 * The machine's load average (os.loadavg) at the start and the end goes into the output: on a shared
 * box the numbers mean little without it.
 * Prints a table, progress to stderr, writes bench/results/federation.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { shardOfKey } from '@godel/actors';
import { GodelCluster, adminToken, bearer, createSampleRepo, createTestEnv, type ClusterMember, type TeamPlaybook } from '@godel/testing';

const KILLS = Number(process.env.GODEL_BENCH_KILLS ?? 10);
const DIFFS = Number(process.env.GODEL_BENCH_DIFFS ?? 100);
const SHARDS = 16;
// 3 s like the federation tests: on a loaded shared box a 1.5 s lease lapses under starvation alone
// (members drain themselves after missed heartbeats and the federation answers 503 full).
const LEASE_TTL_MS = Number(process.env.GODEL_BENCH_LEASE_TTL_MS ?? 3000);
const log = (s: string) => process.stderr.write(`${s}\n`);

function repoRoot(): string {
  const fromDist = join(__dirname, '..', '..');
  return existsSync(join(fromDist, 'bench', 'federation.bench.ts')) ? fromDist : process.cwd();
}

const BOOK: TeamPlaybook = {
  delayMs: 1500,
  plan: { tasks: [{ id: 'one', title: 'One', prompt: 'Write one.txt', dependsOn: [] }] },
  workers: { one: { task: { files: { 'one.txt': '1\n' } } } },
  reviews: { one: ['request_changes: say more', 'approve'] },
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const load = () => loadavg().map((x) => round(x));

async function main(): Promise<void> {
  const loadAtStart = load();
  log(`load average at start: ${loadAtStart.join(' ')} (${cpus().length} cores)`);
  const env = await createTestEnv({ shardCount: SHARDS });
  const root = await mkdtemp(join(tmpdir(), 'godel-bench-federation-'));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(root, 'playbook.json'), JSON.stringify(BOOK));
  const cluster = new GodelCluster({
    redisUrl: env.redisUrl,
    databaseUrl: env.databaseUrl,
    keyPrefix: env.keyPrefix,
    schema: env.schema,
    env: { GODEL_SHARDS: String(SHARDS), GODEL_LEASE_TTL_MS: String(LEASE_TTL_MS), GODEL_PLAYBOOK: join(root, 'playbook.json') },
  });
  let n = 0;
  const start = () => {
    const name = `m${n++}`;
    return cluster.startWith(name, { GODEL_HOME: join(root, `home-${name}`) }, 120_000);
  };
  try {
    const members = await Promise.all([start(), start(), start()]);
    const token = await adminToken(members[0].url!, cluster.adminKey);
    const api = async <T>(m: ClusterMember, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${m.url}${path}`, { method, headers: bearer(token, body ? { 'content-type': 'application/json' } : {}), body: body ? JSON.stringify(body) : undefined });
      return { status: res.status, body: (await res.json()) as T };
    };
    const live = () => [...cluster.members.values()];
    // One repository per team: every team of the playbook writes the same file, and a team whose
    // work is already on its target changes nothing (task.no_changes fails it, rightly).
    const repos = new Map<string, string>();
    const holder = async (team: string) => (await env.redis.hget(`${env.keyPrefix}:{s${shardOfKey(team, SHARDS)}}:lease`, 'owner')) ?? undefined;
    const intent = async (text: string) => {
      // A 503 (federation full: every member self-drained after a starved heartbeat) is retried, as a client would.
      const repo = await createSampleRepo(join(root, `r${repos.size}`), { 'README.md': '# r\n' });
      for (let i = 0; ; i++) {
        const r = await api<{ team: string }>(live()[0], 'POST', '/api/v1/intents', { intent: text, repo, concurrency: 1 });
        if (r.status === 202) {
          repos.set(r.body.team, repo);
          return r.body.team;
        }
        if (r.status !== 503 || i >= 30) throw new Error(`intent refused ${r.status} ${JSON.stringify(r.body)}`);
        await new Promise((res) => setTimeout(res, 2000));
      }
    };
    const maxSeq = async () => Number((await env.dataSource.query(`SELECT coalesce(max(seq), 0) AS s FROM events`))[0].s);
    const teamState = async (team: string) => (await api<{ status: string; reason?: string | null; ledger: Array<{ outcome: string; merged?: string }>; taskList: Array<{ status: string }> }>(live()[0], 'GET', `/api/v1/teams/${team}`)).body;
    const teams: string[] = [];

    // host loss
    const recovery: number[] = [];
    const unrecovered: Array<{ team: string; missing: unknown[] }> = [];
    for (let k = 0; k < KILLS; k++) {
      const team = await intent(`host loss ${k}`);
      teams.push(team);
      // Work under way: the worker's process started.
      await until('worker started', async () => (await env.dataSource.query(`SELECT 1 FROM events WHERE team = $1 AND type = 'agent.started' AND agent LIKE '%worker-1'`, [team])).length > 0, 120_000, 200);
      const active: Array<{ id: string }> = await env.dataSource.query(`SELECT id FROM actor_state WHERE kind = 'agent' AND id LIKE $1 AND state->>'status' IN ('starting', 'running')`, [`agent/${team}:%`]);
      const owner = cluster.byInstance((await holder(team))!);
      if (!owner) throw new Error(`team ${team} has no live holder`);
      const seq = await maxSeq();
      const t0 = performance.now();
      await cluster.kill(owner.name);
      let missing: string[] = [];
      const back = await until('agents running again elsewhere', async () => {
        const h = await holder(team);
        if (!h || h === owner.instanceId) return false;
        const rows: Array<{ agent: string }> = await env.dataSource.query(`SELECT DISTINCT agent FROM events WHERE seq > $1 AND team = $2 AND type IN ('agent.started', 'agent.restarted')`, [seq, team]);
        const again = new Set(rows.map((r) => r.agent));
        missing = active.filter((a) => !again.has(a.id)).map((a) => a.id);
        return missing.length === 0;
      }, 120_000).then(
        () => true,
        () => false,
      );
      if (back) {
        recovery.push((performance.now() - t0) / 1000);
        log(`kill ${k + 1}/${KILLS}: ${owner.instanceId} (${active.length} agents mid-turn) → running again in ${round(recovery[recovery.length - 1])} s`);
      } else {
        // Counted, not hidden: an agent that never ran again within 120 s is a failed recovery.
        const states: Array<{ id: string; status: string; reason: string | null }> = await env.dataSource.query(`SELECT id, state->>'status' AS status, state->>'reason' AS reason FROM actor_state WHERE id = ANY($1)`, [missing]);
        unrecovered.push({ team, missing: states });
        log(`kill ${k + 1}/${KILLS}: ${owner.instanceId} → NOT running again within 120 s: ${JSON.stringify(states)}`);
      }
      await start();
      await until(`${team} finished`, async () => ['succeeded', 'failed', 'cancelled'].includes((await teamState(team)).status), 240_000, 500).catch((err: unknown) => log(String(err)));
    }
    let lost = 0;
    const outcomes: Array<{ team: string; status: string }> = [];
    for (const team of teams) {
      const s = await teamState(team);
      outcomes.push({ team, status: s.status });
      for (const l of s.ledger.filter((x) => x.outcome === 'merged' && x.merged)) {
        try {
          execFileSync('git', ['-C', repos.get(team)!, 'merge-base', '--is-ancestor', l.merged!, 'main'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
        } catch {
          lost++;
        }
      }
      if (s.status === 'succeeded') lost += s.taskList.filter((t) => t.status !== 'done').length;
      log(`${team}: ${s.status}${s.reason ? ` (${s.reason})` : ''}, ${s.ledger.filter((x) => x.outcome === 'merged').length} merged`);
    }

    const diffMs: number[] = [];
    let drainS = NaN;
    let drainError: string | null = null;
    try {
      // drain: two teams on one instance (the others drain meanwhile), diff RPC from another instance, then drain it.
      const [target, ...others] = live();
      for (const o of others) await api(target, 'POST', `/api/v1/federation/instances/${o.instanceId}/drain`);
      await until('others empty', async () => (await Promise.all(others.map(async (o) => (await api<{ members: Array<{ id: string; shards: number[] }> }>(target, 'GET', '/api/v1/federation')).body.members.find((m) => m.id === o.instanceId)?.shards.length === 0))).every(Boolean), 120_000, 250);
      const pair = [await intent('drain one'), await intent('drain two')];
      // The others stay drained until the drain itself: a team shard moved earlier would leave its
      // worker's worktree on the target's disk (local-path repository, separate homes) and its diff 404.
      const path = `/api/v1/agents/${pair[0]}/worker-1/diff`;
      await until('a diff to read', async () => (await api<{ files: unknown[] }>(others[0], 'GET', path)).body.files?.length > 0, 120_000, 200);
      for (let i = 0; i < DIFFS; i++) {
        const t = performance.now();
        const r = await api(others[0], 'GET', path);
        if (r.status !== 200) break;
        diffMs.push(performance.now() - t);
      }
      const t0 = performance.now();
      await api(others[0], 'POST', `/api/v1/federation/instances/${target.instanceId}/drain`);
      for (const o of others) await api(target, 'POST', `/api/v1/federation/instances/${o.instanceId}/undrain`);
      await until('target empty', async () => (await api<{ members: Array<{ id: string; shards: number[] }> }>(others[0], 'GET', '/api/v1/federation')).body.members.find((m) => m.id === target.instanceId)?.shards.length === 0, 180_000, 100);
      drainS = (performance.now() - t0) / 1000;
      log(`drained ${target.instanceId} (2 teams) in ${round(drainS)} s`);
    } catch (err) {
      // Reported, not hidden: the host-loss numbers above still get written.
      drainError = String(err);
      log(`drain/diff part failed: ${drainError}`);
    }

    const result = {
      bench: 'federation',
      cores: cpus().length,
      lease_ttl_ms: LEASE_TTL_MS,
      loadavg_start: loadAtStart,
      loadavg_end: load(),
      kills: KILLS,
      recovered: recovery.length,
      team_outcomes: outcomes,
      unrecovered,
      host_loss_recovery_s_p50: round(pct(recovery, 50)),
      host_loss_recovery_s_p95: round(pct(recovery, 95)),
      drain_s: round(drainS),
      drain_error: drainError,
      lost_commits: lost,
      diff_rpc_ms_p50: round(pct(diffMs, 50)),
      diff_rpc_ms_p95: round(pct(diffMs, 95)),
      diff_calls: diffMs.length,
      recovery_s: recovery.map((x) => round(x)),
    };
    const rows: Array<[string, string, string]> = [
      ['kills recovered', `${result.recovered}/${result.kills}`, 'all'],
      ['host_loss_recovery_s_p50', String(result.host_loss_recovery_s_p50), ''],
      ['host_loss_recovery_s_p95', String(result.host_loss_recovery_s_p95), '≤ 10'],
      ['drain_s (2 teams)', String(result.drain_s), '≤ 15'],
      ['lost_commits', String(result.lost_commits), '0'],
      ['diff_rpc_ms_p95 (cross-instance)', String(result.diff_rpc_ms_p95), '≤ 100'],
      ['diff_rpc_ms_p50', String(result.diff_rpc_ms_p50), ''],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`\nbench:federation (${result.kills} kills, ${result.cores} cores, load ${result.loadavg_start.join(' ')} → ${result.loadavg_end.join(' ')})\n${'metric'.padEnd(w)}  value  target\n`);
    for (const [k, v, t] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}  ${t}\n`);
    const out = join(repoRoot(), 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'federation.json'), JSON.stringify(result, null, 2) + '\n');
    log(`wrote ${join(out, 'federation.json')}`);
  } finally {
    await cluster.stopAll();
    await env.cleanup();
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
