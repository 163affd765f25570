/**
 * Where a latency tail comes from: event-loop delay (perf_hooks monitorEventLoopDelay) and GC pauses
 * (PerformanceObserver 'gc') in this process, and the same two plus the turn histogram read from a
 * server's /metrics (prom-client default metrics reset the loop histogram on every scrape, so a scrape
 * before and after a run brackets it). Used by bench:actors and bench:api.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface LoopStats {
  loop_p99_ms: number;
  loop_max_ms: number;
  gc_count: number;
  gc_total_ms: number;
  gc_max_ms: number;
}

const round = (n: number, d = 2) => Number(n.toFixed(d));

/**
 * Node's loop-delay histogram records the whole interval between two ticks of its timer, resolution
 * included (an idle process reads ~10.2 ms at a 10 ms resolution), and so does prom-client's lag metric
 * built on it (its default precision is 10 ms too). `loop_*` and `server_loop_*` report how late the
 * timer was: the recorded interval minus the resolution (until session 10 they included it).
 */
const LOOP_RESOLUTION_MS = 10;
export const lateBy = (intervalMs: number, resolutionMs = LOOP_RESOLUTION_MS): number => round(Math.max(0, intervalMs - resolutionMs));

/** Starts watching this process's event loop and GC; `stop()` returns what it saw. */
export function watchLoop(): { stop: () => LoopStats } {
  const h = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  h.enable();
  let count = 0;
  let total = 0;
  let max = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      count++;
      total += e.duration;
      max = Math.max(max, e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      h.disable();
      obs.disconnect();
      return { loop_p99_ms: lateBy(h.percentile(99) / 1e6), loop_max_ms: lateBy(h.max / 1e6), gc_count: count, gc_total_ms: round(total), gc_max_ms: round(max) };
    },
  };
}

export interface ServerStats {
  server_loop_p99_ms: number;
  server_loop_max_ms: number;
  server_gc_count: number;
  server_gc_total_ms: number;
  /** The server's GC time split by kind: young-generation scavenges against full (mark-sweep) collections. */
  server_gc_minor_ms: number;
  server_gc_major_ms: number;
  /** Turns (handler + group commit + effects) slower than 10 ms / 25 ms, out of all turns in the window. */
  server_turns: number;
  server_turns_over_10ms: number;
  server_turns_over_25ms: number;
  /** Messages that waited over 10 ms from their send to the start of their turn (godel_actor_mailbox_wait_seconds). */
  server_waits_over_10ms: number;
  /** Group commits of actor state in the window, those slower than 10 ms / 25 ms, and rows per commit. */
  server_commits: number;
  server_commits_over_10ms: number;
  server_commits_over_25ms: number;
  server_rows_per_commit: number;
  /** The server's CPU (user + system) per turn in the window: what a change costs, whatever the load. */
  server_cpu_us_per_turn: number;
}

function metric(text: string, name: string, labels?: (l: string) => boolean): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z0-9_:]+)(\{[^}]*\})? ([0-9.eE+-]+|NaN)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (labels && !labels(m[2] ?? '')) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

/** Cumulative counters of a server's /metrics (diff two of them with `serverDelta`). */
export async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  return res.text();
}

export function serverDelta(before: string, after: string): ServerStats {
  const d = (name: string, labels?: (l: string) => boolean) => metric(after, name, labels) - metric(before, name, labels);
  const turns = d('godel_actor_turn_duration_seconds_count');
  const commits = d('godel_state_commit_duration_seconds_count');
  const le = (v: string) => (l: string) => l.includes(`le="${v}"`);
  return {
    // the loop histogram is reset by every scrape: `after` covers the run alone
    server_loop_p99_ms: lateBy(metric(after, 'godel_nodejs_eventloop_lag_p99_seconds') * 1000),
    server_loop_max_ms: lateBy(metric(after, 'godel_nodejs_eventloop_lag_max_seconds') * 1000),
    server_gc_count: d('godel_nodejs_gc_duration_seconds_count'),
    server_gc_total_ms: round(d('godel_nodejs_gc_duration_seconds_sum') * 1000),
    server_gc_minor_ms: round(d('godel_nodejs_gc_duration_seconds_sum', (l) => l.includes('kind="minor"')) * 1000),
    server_gc_major_ms: round(d('godel_nodejs_gc_duration_seconds_sum', (l) => l.includes('kind="major"') || l.includes('kind="incremental"')) * 1000),
    server_turns: turns,
    server_turns_over_10ms: turns - d('godel_actor_turn_duration_seconds_bucket', le('0.01')),
    server_turns_over_25ms: turns - d('godel_actor_turn_duration_seconds_bucket', le('0.025')),
    server_waits_over_10ms: d('godel_actor_mailbox_wait_seconds_count') - d('godel_actor_mailbox_wait_seconds_bucket', le('0.01')),
    server_commits: commits,
    server_commits_over_10ms: commits - d('godel_state_commit_duration_seconds_bucket', le('0.01')),
    server_commits_over_25ms: commits - d('godel_state_commit_duration_seconds_bucket', le('0.025')),
    server_rows_per_commit: commits > 0 ? round(d('godel_state_commit_rows_sum') / commits) : NaN,
    server_cpu_us_per_turn: turns > 0 ? Math.round((d('godel_process_cpu_seconds_total') * 1e6) / turns) : NaN,
  };
}

export const load1m = (): number => round(loadavg()[0], 1);
