/**
 * The chaos harness with a small count (issue 15). Real: three compiled Godel servers (child
 * processes), each behind its own TCP proxies to Redis and PostgreSQL; Redis; PostgreSQL; HTTP;
 * SIGKILL, SIGSTOP/SIGCONT, SIGTERM (graceful drain); a team with the scripted model, real `pi` and
 * git running through the faults. Mocked: nothing. The seed is printed; CHAOS_SEED replays a
 * failing schedule. Needs `npm run build` (the test command does it).
 */
import { inheritedEnv } from '@godel/config';
import { FAULT_KINDS, runChaos, schedule } from '../../bench/chaos/harness';
import { duplicates, eventKey, gaps } from '../../bench/chaos/team-workload';

describe('chaos: 30 faults against three server processes', () => {
  it('the schedule is a function of the seed, every kind equally often', () => {
    const a = schedule(42, 30, 3, 1000);
    expect(schedule(42, 30, 3, 1000)).toEqual(a);
    expect(schedule(43, 30, 3, 1000)).not.toEqual(a);
    for (const k of FAULT_KINDS) expect(a.filter((f) => f.kind === k).length).toBeGreaterThanOrEqual(Math.floor(30 / FAULT_KINDS.length));
    for (const f of a.filter((x) => x.kind === 'stop')) expect(f.durationMs).toBeGreaterThan(1000); // longer than the lease TTL
    for (const f of a.filter((x) => x.kind.endsWith('_down'))) expect(f.durationMs).toBeGreaterThanOrEqual(1000);
    const big = schedule(7, 500, 3, 2000);
    for (const k of FAULT_KINDS) expect(big.filter((f) => f.kind === k).length).toBeGreaterThanOrEqual(50);
  });

  it('the team checker: a duplicate is the same logical event twice, a gap an event a reader skipped', () => {
    const merged = { type: 'task.done', agent: null, data: { task: 'one', merged: 'abc', verifyMs: 10 } };
    expect(duplicates([merged, { ...merged, data: { ...merged.data, verifyMs: 99 } }])).toEqual({ 'task.done': 1 });
    const review = (round: number, ms: number) => ({ type: 'review.started', agent: null, data: { task: 'one', round, ms } });
    expect(duplicates([review(1, 5), review(2, 5)])).toEqual({}); // a second round is another event
    expect(duplicates([review(1, 5), review(1, 7)])).toEqual({ 'review.started': 1 }); // only the timing differs
    const a = { type: 'x', agent: 'a', data: { effectId: 'e1', n: 1 } };
    expect(eventKey(a)).toBe(eventKey({ ...a, data: { effectId: 'e1', n: 2 } }));
    expect(gaps([1, 2, 5, 9], [1, 2, 5, 9])).toBe(0); // holes in seq (3, 4, 6–8) are not gaps
    expect(gaps([1, 2, 5, 9], [1, 5, 9])).toBe(1); // 2 committed after the reader passed it
    expect(gaps([1, 2], [1, 2, 3])).toBe(1); // 3 was seen and is gone
  });

  it('every acknowledged tell applied exactly once, no overlapping activations; the team loses no task, its events have no gap', async () => {
    const env = inheritedEnv();
    const seed = env.CHAOS_SEED ? Number(env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
    process.stdout.write(`chaos seed ${seed} (replay: CHAOS_SEED=${seed} npx jest test/chaos -i)\n`);
    const lines: string[] = [];
    // The shipped lease TTL (2 s): at 1 s, a loaded CI box fenced the team's longer turns over and over
    // (the start turn ran 15 times in one run) and the team never finished within the deadline.
    const report = await runChaos({ faults: 30, seed, leaseTtlMs: 2000, shards: 8, counters: 60, workers: 8, log: (l) => lines.push(l) });
    process.stdout.write(`${JSON.stringify(report)}\n`);
    // A team that did not succeed is diagnosed in the log (its events, members, agents, dead letters).
    const diagnosis = lines.filter((l) => /^team \S+ (unfinished|failed|cancelled);/.test(l));
    if (diagnosis.length > 0) process.stdout.write(`${diagnosis.join('\n')}\n`);
    expect(report.faults).toBe(30);
    expect(report.acknowledged).toBeGreaterThan(100);
    expect(report.drained).toBe(true);
    expect(report.teams?.teams).toBeGreaterThanOrEqual(1);
    expect(report.teams?.tasks).toBeGreaterThanOrEqual(4);
    expect(report.teams?.teams_succeeded).toBeGreaterThanOrEqual(1);
    expect({ seed, lost: report.lost, duplicated: report.duplicated, overlapping: report.overlapping_activations, unhandled: report.unhandled_redis_errors, crashes: report.unexpected_exit_detail, tasksLost: report.tasks_lost_detail, eventGaps: report.event_gaps, duplicateEvents: report.teams?.duplicate_events_by_type }).toEqual({
      seed,
      lost: 0,
      duplicated: 0,
      overlapping: 0,
      unhandled: 0,
      crashes: [],
      tasksLost: [],
      eventGaps: 0,
      duplicateEvents: {},
    });
  }, 900000); // ~100 s on an idle machine (+ a team: ~40 s); faults wait on restarts: over 8 min at a load of 25 on 2 cores
});
