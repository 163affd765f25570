/**
 * The chaos harness on the local Redis Cluster (CHAOS_CLUSTER=1 mode; scripts/redis-cluster.sh):
 * three real server processes, each reaching all six cluster nodes through its own proxies (natMap),
 * counter tells over HTTP, 10 faults from a printed seed (a cut or an outage of an instance's proxies
 * hits that instance, not the cluster). Counters only (the team workload runs in chaos.int-spec.ts).
 */
import { inheritedEnv } from '@godel/config';
import { runChaos } from '../../bench/chaos/harness';

describe('chaos on the Redis Cluster (3 server processes, per-instance proxies to every node)', () => {
  it('10 faults: every acknowledged tell applied exactly once, no overlapping activations, mailboxes drained', async () => {
    const env = inheritedEnv();
    const seed = env.CHAOS_SEED ? Number(env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
    process.stdout.write(`chaos (cluster) seed ${seed} (replay: CHAOS_SEED=${seed} npx jest test/chaos/chaos-cluster -i)\n`);
    const report = await runChaos({ faults: 10, seed, cluster: true, teams: false, leaseTtlMs: 2000, shards: 8, counters: 40, workers: 6 });
    process.stdout.write(`${JSON.stringify(report)}\n`);
    expect(report.cluster).toBe(true);
    expect(report.faults).toBe(10);
    expect(report.acknowledged).toBeGreaterThan(50);
    expect(report.drained).toBe(true);
    expect({ seed, lost: report.lost, duplicated: report.duplicated, overlapping: report.overlapping_activations, unhandled: report.unhandled_redis_errors, crashes: report.unexpected_exit_detail }).toEqual({ seed, lost: 0, duplicated: 0, overlapping: 0, unhandled: 0, crashes: [] });
  }, 400_000);
});
