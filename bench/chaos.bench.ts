/**
 * npm run chaos / npm run bench:chaos — faults against three real server processes (bench/chaos/harness.ts).
 * CHAOS_FAULTS (default 60; bench:chaos passes 500), CHAOS_SEED (default: random, printed) replays a
 * schedule; CHAOS_OUT=path writes the JSON (bench:chaos: bench/results/chaos.json). Exits 1 when
 * anything was lost, doubled or overlapped, a team task was lost, or a team's events have a gap or a duplicate.
 * CHAOS_TEAMS=0 runs the counters only; CHAOS_MAX_MINUTES stops injecting faults after that long (the
 * report counts the faults run). CHAOS_CLUSTER=1 runs on the local Redis Cluster (127.0.0.1:7000-7005,
 * scripts/redis-cluster.sh; bench/chaos/cluster.ts): each instance reaches every node through its own proxies.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inheritedEnv } from '@godel/config';
import { runChaos } from './chaos/harness';

async function main(): Promise<void> {
  const env = inheritedEnv();
  const faults = Number(env.CHAOS_FAULTS ?? 60);
  const seed = env.CHAOS_SEED ? Number(env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
  const maxFaultTimeMs = env.CHAOS_MAX_MINUTES ? Number(env.CHAOS_MAX_MINUTES) * 60000 : undefined;
  const report = await runChaos({ faults, seed, maxFaultTimeMs, teams: env.CHAOS_TEAMS !== '0', cluster: env.CHAOS_CLUSTER === '1', log: (l) => process.stdout.write(`${l}\n`) });
  const rows: Array<[string, unknown]> = [
    ['seed', report.seed],
    ['cluster', report.cluster],
    ['faults (planned)', `${report.faults} (${report.faults_planned})`],
    ...Object.entries(report.faults_by_kind).map(([k, n]): [string, unknown] => [`  ${k}`, n]),
    ['acknowledged', report.acknowledged],
    ['unacknowledged (gave up)', report.unacknowledged],
    ['lost', report.lost],
    ['duplicated', report.duplicated],
    ['overlapping_activations', report.overlapping_activations],
    ['unhandled ioredis errors', report.unhandled_redis_errors],
    ['unexpected member exits (crashes)', report.unexpected_exits],
    ['teams (succeeded / unfinished)', report.teams ? `${report.teams.teams} (${report.teams.teams_succeeded} / ${report.teams.teams_unfinished})` : 'none'],
    ['team tasks (merged)', report.teams ? `${report.teams.tasks} (${report.teams.tasks_merged})` : 'none'],
    ['tasks_lost', report.tasks_lost],
    ...report.tasks_lost_detail.map((l): [string, unknown] => [`  ${l.team}/${l.task ?? '-'}`, `${l.reason} (team ${l.team_status}, ledger ${JSON.stringify(l.ledger)})`]),
    ['team events', report.teams?.team_events ?? 'none'],
    ['event_gaps', report.event_gaps],
    ['duplicate_events', report.duplicate_events],
    ...Object.entries(report.teams?.duplicate_events_by_type ?? {}).map(([k, n]): [string, unknown] => [`  ${k}`, n]),
    ['drained', report.drained],
    ['tells/s', report.tells_per_s],
    ['duration s', report.duration_s],
  ];
  process.stdout.write(`\n| metric | value |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${String(v)} |`).join('\n')}\n`);
  if (env.CHAOS_OUT) {
    mkdirSync(dirname(env.CHAOS_OUT), { recursive: true });
    writeFileSync(env.CHAOS_OUT, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`wrote ${env.CHAOS_OUT}\n`);
  }
  const bad = report.faults < report.faults_planned || report.lost + report.duplicated + report.overlapping_activations + (report.tasks_lost ?? 0) + (report.event_gaps ?? 0) + (report.duplicate_events ?? 0) + report.unexpected_exits > 0 || !report.drained;
  if (bad) process.stdout.write(`FAILED: replay with CHAOS_SEED=${report.seed} CHAOS_FAULTS=${report.faults_planned}\n`);
  process.exit(bad ? 1 : 0);
}

// A harness stuck on a promise nothing can settle empties the event loop, and Node would exit 0 without a word.
process.on('beforeExit', (code) => {
  process.stderr.write(`chaos: the event loop emptied before the run finished (a promise nothing can settle); exit code was ${code}\n`);
  process.exit(3);
});

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
