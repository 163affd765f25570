/**
 * The chaos harness with a small count (issue 15). Real: three compiled Godel servers (child
 * processes), each behind its own TCP proxies to Redis and PostgreSQL; Redis; PostgreSQL; HTTP;
 * SIGKILL, SIGSTOP/SIGCONT, SIGTERM. Mocked: nothing. The seed is printed; CHAOS_SEED replays a
 * failing schedule. Needs `npm run build` (the test command does it).
 */
import { inheritedEnv } from '@godel/config';
import { FAULT_KINDS, runChaos, schedule } from '../../bench/chaos/harness';

describe('chaos: 30 faults against three server processes', () => {
  it('the schedule is a function of the seed, every kind equally often', () => {
    const a = schedule(42, 30, 3, 1000);
    expect(schedule(42, 30, 3, 1000)).toEqual(a);
    expect(schedule(43, 30, 3, 1000)).not.toEqual(a);
    for (const k of FAULT_KINDS) expect(a.filter((f) => f.kind === k)).toHaveLength(5);
    for (const f of a.filter((x) => x.kind === 'stop')) expect(f.durationMs).toBeGreaterThan(1000); // longer than the lease TTL
  });

  it('every acknowledged tell applied exactly once, no overlapping activations', async () => {
    const env = inheritedEnv();
    const seed = env.CHAOS_SEED ? Number(env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
    process.stdout.write(`chaos seed ${seed} (replay: CHAOS_SEED=${seed} npx jest test/chaos -i)\n`);
    const lines: string[] = [];
    const report = await runChaos({ faults: 30, seed, leaseTtlMs: 1000, shards: 8, counters: 60, workers: 8, log: (l) => lines.push(l) });
    process.stdout.write(`${JSON.stringify(report)}\n`);
    expect(report.faults).toBe(30);
    expect(report.acknowledged).toBeGreaterThan(100);
    expect(report.drained).toBe(true);
    expect({ seed, lost: report.lost, duplicated: report.duplicated, overlapping: report.overlapping_activations, unhandled: report.unhandled_redis_errors }).toEqual({
      seed,
      lost: 0,
      duplicated: 0,
      overlapping: 0,
      unhandled: 0,
    });
  }, 480000); // ~100 s on an idle machine; faults wait on restarts, slower under load
});
