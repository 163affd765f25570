/**
 * npm run bench:teams — one intent from POST /api/v1/intents to merged commits, through a real Godel
 * server process (actor runtime on Redis + PostgreSQL, team actor, real `pi` agents, BullMQ refinery
 * with real git and a real verification command). The model is the offline scripted model playing a
 * 5-task plan (3 parallel, then 2 dependent) with 3 workers and one request-changes round; each model
 * answer takes MODEL_MS, as a fast real model would.
 *
 * control_plane_overhead_pct = time of the intent not covered by any agent turn (prompt → turn end,
 * from the event log) or verification run (merge.verify_started → finished, and the baseline
 * verification of the target before any work: baseline.started → baseline.finished), over the
 * intent's time. baseline_verification_s is the baseline's own time (it overlaps agent start-up).
 * Prints a table, progress to stderr, and writes bench/results/teams.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, type StoredEvent } from '@godel/persistence';
import { GodelCluster, adminToken, bearer, createSampleRepo, createTestEnv, type TeamPlaybook } from '@godel/testing';

const MODEL_MS = Number(process.env.GODEL_BENCH_MODEL_MS ?? 1500);
const RUNS = Number(process.env.GODEL_BENCH_RUNS ?? 2);
const DEADLINE_MS = 240_000;
const log = (s: string) => process.stderr.write(`${s}\n`);

function repoRoot(): string {
  const fromDist = join(__dirname, '..', '..');
  return existsSync(join(fromDist, 'bench', 'teams.bench.ts')) ? fromDist : process.cwd();
}

const CHECK_JS = [
  "const fs = require('fs'); const path = require('path');",
  "const dir = path.join(__dirname, 'checks');",
  "const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.js')) : [];",
  'for (const f of files) require(path.join(dir, f));',
  "console.log(files.length + ' checks passed');",
  '',
].join('\n');

function playbook(): TeamPlaybook {
  const mod = (name: string, body: string) => ({
    [`src/${name}.js`]: `module.exports = ${body};\n`,
    [`checks/${name}.check.js`]: `require('assert').ok(typeof require('../src/${name}') === 'function');\n`,
  });
  return {
    delayMs: MODEL_MS,
    usage: { promptTokens: 1200, completionTokens: 300 },
    plan: {
      tasks: [
        { id: 'parse', title: 'Parser', prompt: 'Write src/parse.js', dependsOn: [] },
        { id: 'format', title: 'Formatter', prompt: 'Write src/format.js', dependsOn: [] },
        { id: 'validate', title: 'Validator', prompt: 'Write src/validate.js', dependsOn: [] },
        { id: 'pipeline', title: 'Pipeline', prompt: 'Write src/pipeline.js', dependsOn: ['parse', 'format'] },
        { id: 'cli', title: 'CLI', prompt: 'Write src/cli.js', dependsOn: ['validate', 'pipeline'] },
      ],
    },
    workers: {
      parse: { task: { files: mod('parse', '(s) => JSON.parse(s)') }, changes: { files: mod('parse', '/** Parses JSON. */ (s) => JSON.parse(s)') } },
      format: { task: { files: mod('format', '(v) => JSON.stringify(v)') } },
      validate: { task: { files: mod('validate', '(v) => v !== undefined') } },
      pipeline: { task: { files: mod('pipeline', "(s) => require('./format')(require('./parse')(s))") } },
      cli: { task: { files: mod('cli', "(s) => require('./validate')(require('./pipeline')(s))") } },
    },
    reviews: { parse: ['request_changes: document parse()', 'approve'] },
  };
}

/** The union of intervals clipped to [from, to], merged and sorted. */
function union(intervals: Array<[number, number]>, from: number, to: number): Array<[number, number]> {
  const xs = intervals.map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as [number, number]).filter(([a, b]) => b > a).sort((p, q) => p[0] - q[0]);
  const out: Array<[number, number]> = [];
  for (const x of xs) {
    const last = out[out.length - 1];
    if (last && x[0] <= last[1]) last[1] = Math.max(last[1], x[1]);
    else out.push([...x]);
  }
  return out;
}

/** Total length of the union of intervals, clipped to [from, to]. */
function covered(intervals: Array<[number, number]>, from: number, to: number): number {
  return union(intervals, from, to).reduce((s, [a, b]) => s + b - a, 0);
}

/** The uncovered stretches of [from, to], longest first, with the events that ended each one. */
function gaps(intervals: Array<[number, number]>, from: number, to: number, events: StoredEvent[]): Array<{ ms: number; after: string; before: string }> {
  const u = union(intervals, from, to);
  const holes: Array<[number, number]> = [];
  let cur = from;
  for (const [a, b] of u) {
    if (a > cur) holes.push([cur, a]);
    cur = Math.max(cur, b);
  }
  if (to > cur) holes.push([cur, to]);
  const name = (e?: StoredEvent) => (e ? `${e.type}${e.data.task ? `(${String(e.data.task)})` : ''}${e.agent ? ` ${e.agent.split(':')[1] ?? ''}` : ''}` : '-');
  return holes
    .map(([a, b]) => ({ ms: b - a, after: name([...events].reverse().find((e) => Date.parse(e.at) <= a)), before: name(events.find((e) => Date.parse(e.at) >= b)) }))
    .sort((p, q) => q.ms - p.ms);
}

function analyse(events: StoredEvent[]): { totalMs: number; busyMs: number; turnsMs: number; verifyMs: number; baselineMs: number; firstPromptMs: number; parallelMax: number; gaps: ReturnType<typeof gaps> } {
  const at = (e: StoredEvent) => Date.parse(e.at);
  const start = at(events.find((e) => e.type === 'team.started')!);
  const end = at(events.find((e) => e.type === 'team.succeeded' || e.type === 'team.failed')!);
  const turns: Array<[number, number]> = [];
  const open = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'agent.prompted') open.set(e.agent, at(e));
    if ((e.type === 'agent.turn_completed' || e.type === 'agent.failed' || e.type === 'agent.stopped') && open.has(e.agent)) {
      turns.push([open.get(e.agent)!, at(e)]);
      open.delete(e.agent);
    }
  }
  const verify: Array<[number, number]> = [];
  let vOpen: number | undefined;
  for (const e of events) {
    if (e.type === 'merge.verify_started') vOpen = at(e);
    if (e.type === 'merge.verify_finished' && vOpen !== undefined) {
      verify.push([vOpen, at(e)]);
      vOpen = undefined;
    }
  }
  const b0 = events.find((e) => e.type === 'baseline.started');
  const b1 = events.find((e) => e.type === 'baseline.finished');
  if (!b0 || !b1) throw new Error('no baseline verification in the event log');
  verify.push([at(b0), at(b1)]);
  let parallelMax = 0;
  for (const [a] of turns) parallelMax = Math.max(parallelMax, turns.filter(([x, y]) => x <= a && a < y).length);
  const firstPrompt = Math.min(...events.filter((e) => e.type === 'agent.prompted').map(at));
  return { gaps: gaps([...turns, ...verify], start, end, events).slice(0, 6), totalMs: end - start, busyMs: covered([...turns, ...verify], start, end), turnsMs: covered(turns, start, end), verifyMs: covered(verify, start, end), baselineMs: at(b1) - at(b0), firstPromptMs: firstPrompt - start, parallelMax };
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    log(`bench:teams: deadline of ${DEADLINE_MS} ms reached, stopping`);
    process.exit(2);
  }, DEADLINE_MS);
  const env = await createTestEnv();
  const dir = await mkdtemp(join(tmpdir(), 'godel-bench-teams-'));
  const book = join(dir, 'playbook.json');
  writeFileSync(book, JSON.stringify(playbook()));
  const cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_PLAYBOOK: book, GODEL_HOME: join(dir, 'home') } });
  const runs: Array<ReturnType<typeof analyse> & { intentToMergedS: number; merged: number }> = [];
  try {
    const m = await cluster.start('m0', 60_000);
    const events = new EventLog(env.dataSource);
    const token = await adminToken(m.url!, cluster.adminKey);
    for (let i = 0; i < RUNS; i++) {
      const repo = await createSampleRepo(join(dir, `run${i}`), { 'README.md': '# bench\n', 'check.js': CHECK_JS });
      log(`run ${i + 1}/${RUNS}: POST /api/v1/intents on ${repo}`);
      const t0 = performance.now();
      const res = await fetch(`${m.url}/api/v1/intents`, { method: 'POST', headers: bearer(token, { 'content-type': 'application/json' }), body: JSON.stringify({ intent: 'build a small JSON pipeline', repo, verify: 'node check.js', concurrency: 3 }) });
      if (res.status !== 202) throw new Error(`POST /api/v1/intents: ${res.status} ${await res.text()}`);
      const { team } = (await res.json()) as { team: string };
      let status = '';
      let body: { status: string; reason: string | null; ledger: Array<{ outcome: string }> } = { status: '', reason: null, ledger: [] };
      while (!['succeeded', 'failed', 'cancelled'].includes(status)) {
        await new Promise((r) => setTimeout(r, 100));
        body = (await (await fetch(`${m.url}/api/v1/teams/${team}`, { headers: bearer(token) })).json()) as typeof body;
        status = body.status;
      }
      const intentToMergedS = (performance.now() - t0) / 1000;
      if (status !== 'succeeded') throw new Error(`team ${team} ${status}: ${body.reason}`);
      // The team's events leave its turns as outbox effects, appended just after the state commits:
      // the end event can trail the status by a moment.
      let list = await events.list({ team, limit: 10_000 });
      for (let n = 0; n < 100 && !list.some((e) => e.type === 'team.succeeded'); n++) {
        await new Promise((r) => setTimeout(r, 100));
        list = await events.list({ team, limit: 10_000 });
      }
      const a = analyse(list);
      runs.push({ ...a, intentToMergedS, merged: body.ledger.filter((l) => l.outcome === 'merged').length });
      log(`  ${team}: ${intentToMergedS.toFixed(1)} s, overhead ${(100 * (1 - a.busyMs / a.totalMs)).toFixed(1)} %; longest stretches outside turns and verification:`);
      for (const g of a.gaps) log(`    ${String(g.ms).padStart(5)} ms  after ${g.after}  →  ${g.before}`);
    }
  } finally {
    await cluster.stopAll().catch(() => undefined);
    await env.cleanup();
    await rm(dir, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
  const best = runs.reduce((p, q) => (q.intentToMergedS < p.intentToMergedS ? q : p));
  const mean = (f: (r: (typeof runs)[number]) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  const overhead = mean((r) => 100 * (1 - r.busyMs / r.totalMs));
  const result = {
    intent_to_merged_s: Number(mean((r) => r.intentToMergedS).toFixed(2)),
    intent_to_merged_best_s: Number(best.intentToMergedS.toFixed(2)),
    control_plane_overhead_pct: Number(overhead.toFixed(2)),
    tasks: 5,
    workers: 3,
    merged_per_run: runs.map((r) => r.merged),
    model_ms_per_answer: MODEL_MS,
    agent_turns_s: Number(mean((r) => r.turnsMs / 1000).toFixed(2)),
    verification_s: Number(mean((r) => r.verifyMs / 1000).toFixed(2)),
    baseline_verification_s: Number(mean((r) => r.baselineMs / 1000).toFixed(2)),
    before_first_prompt_s: Number(mean((r) => r.firstPromptMs / 1000).toFixed(2)),
    max_parallel_turns: Math.max(...runs.map((r) => r.parallelMax)),
    runs: runs.length,
    cores: cpus().length,
  };
  const rows: Array<[string, string, string]> = [
    ['intent_to_merged_s (mean of runs; POST → team succeeded)', String(result.intent_to_merged_s), ''],
    ['control_plane_overhead_pct', String(result.control_plane_overhead_pct), '≤ 10'],
    ['  agent turns (union) s / verification s', `${result.agent_turns_s} / ${result.verification_s}`, ''],
    ['  baseline verification s (before any work, overlaps pi start-up)', String(result.baseline_verification_s), ''],
    ['  team start → first prompt s (pi spawn, baseline)', String(result.before_first_prompt_s), ''],
    ['max parallel agent turns', String(result.max_parallel_turns), ''],
    ['merged commits per run', result.merged_per_run.join(', '), '5'],
    ['model latency per answer (scripted) ms', String(MODEL_MS), ''],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`\nbench:teams (${result.runs} runs, ${result.cores} cores)\n${'metric'.padEnd(w)}  value  target\n`);
  for (const [k, v, t] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}  ${t}\n`);
  if (overhead > 10) process.stdout.write(`\nmissed: control_plane_overhead_pct ${result.control_plane_overhead_pct} > 10\n`);
  const out = join(repoRoot(), 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'teams.json'), JSON.stringify(result, null, 2) + '\n');
  log(`wrote ${join(out, 'teams.json')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
