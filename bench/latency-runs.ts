/**
 * Three consecutive latency runs, each bracketed by the probes of latency-probe.ts (this process's
 * loop and GC, the server's loop, GC, turn and commit histograms), disk-probe.ts (the disk's flushes)
 * and the machine's load average: a tail is reported with what the machine and both processes did
 * while it was measured.
 */
import { watchDisk, type DiskStats } from './disk-probe';
import { load1m, scrape, serverDelta, watchLoop, type LoopStats, type ServerStats } from './latency-probe';

export interface LatencyRun extends LoopStats, ServerStats, DiskStats {
  p50: number;
  p99: number;
  n: number;
  /** Asks that failed (a failure is reported, never dropped from the samples silently). */
  failed: number;
  load_avg_1m: number;
}

export interface LatencyRuns {
  runs: LatencyRun[];
  p50Runs: number[];
  p99Runs: number[];
  p99Max: number;
}

export const RUNS = 3;

/** How the slowest 1 % of a run spread over time: steady queueing, or a few stalls of the whole machine. */
export interface TailWindows {
  /** Distinct 50 ms windows (by send time) that hold the slowest 1 % of the requests. */
  slow_windows: number;
  /** Share of the slowest 1 % sent in the 5 windows that hold most of them (1 = all in 5 stalls). */
  slow_share_in_top5_windows: number;
}

/** `samples`: [send time, latency] in ms, one per request. */
export function tailWindows(samples: ReadonlyArray<readonly [number, number]>, windowMs = 50): TailWindows {
  if (samples.length === 0) return { slow_windows: 0, slow_share_in_top5_windows: 0 };
  const slowest = [...samples].sort((a, b) => b[1] - a[1]).slice(0, Math.max(1, Math.floor(samples.length / 100)));
  const counts = new Map<number, number>();
  for (const [at] of slowest) counts.set(Math.floor(at / windowMs), (counts.get(Math.floor(at / windowMs)) ?? 0) + 1);
  const top5 = [...counts.values()].sort((a, b) => b - a).slice(0, 5).reduce((t, n) => t + n, 0);
  return { slow_windows: counts.size, slow_share_in_top5_windows: Number((top5 / slowest.length).toFixed(2)) };
}

export async function latencyRuns(run: () => Promise<{ p50: number; p99: number; n: number; failed: number }>, serverUrl: string | undefined, runs = RUNS): Promise<LatencyRuns> {
  const out: LatencyRun[] = [];
  for (let i = 0; i < runs; i++) {
    const before = serverUrl ? await scrape(serverUrl) : '';
    const loop = watchLoop();
    const disk = watchDisk();
    const r = await run();
    const mine = loop.stop();
    const flushes = await disk.stop();
    const server = serverUrl ? serverDelta(before, await scrape(serverUrl)) : ({} as ServerStats);
    const row: LatencyRun = { ...r, p50: Number(r.p50.toFixed(2)), p99: Number(r.p99.toFixed(2)), ...mine, ...server, ...flushes, load_avg_1m: load1m() };
    process.stderr.write(`  run ${i + 1}/${runs}: ${JSON.stringify(row)}\n`);
    out.push(row);
  }
  const p99Runs = out.map((r) => r.p99);
  return { runs: out, p50Runs: out.map((r) => r.p50), p99Runs, p99Max: Math.max(...p99Runs) };
}
