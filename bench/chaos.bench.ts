/**
 * npm run chaos / npm run bench:chaos — faults against three real server processes (bench/chaos/harness.ts).
 * CHAOS_FAULTS (default 60; bench:chaos passes 500), CHAOS_SEED (default: random, printed) replays a
 * schedule; CHAOS_OUT=path writes the JSON (bench:chaos: bench/results/chaos.json). Exits 1 when
 * anything was lost, doubled or overlapped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inheritedEnv } from '@godel/config';
import { runChaos } from './chaos/harness';

async function main(): Promise<void> {
  const env = inheritedEnv();
  const faults = Number(env.CHAOS_FAULTS ?? 60);
  const seed = env.CHAOS_SEED ? Number(env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
  const report = await runChaos({ faults, seed, log: (l) => process.stdout.write(`${l}\n`) });
  const rows: Array<[string, unknown]> = [
    ['seed', report.seed],
    ['faults', report.faults],
    ...Object.entries(report.faults_by_kind).map(([k, n]): [string, unknown] => [`  ${k}`, n]),
    ['acknowledged', report.acknowledged],
    ['unacknowledged (gave up)', report.unacknowledged],
    ['lost', report.lost],
    ['duplicated', report.duplicated],
    ['overlapping_activations', report.overlapping_activations],
    ['unhandled ioredis errors', report.unhandled_redis_errors],
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
  const bad = report.lost + report.duplicated + report.overlapping_activations > 0 || !report.drained;
  if (bad) process.stdout.write(`FAILED: replay with CHAOS_SEED=${report.seed} CHAOS_FAULTS=${report.faults}\n`);
  process.exit(bad ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
