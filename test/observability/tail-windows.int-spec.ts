/**
 * Pure: the bench probe that says whether a latency tail is steady queueing or a few stalls
 * (bench/latency-runs.ts tailWindows). Mocked: nothing.
 */
import { tailWindows } from '../../bench/latency-runs';

describe('tailWindows (bench probe)', () => {
  const base = (n: number) => Array.from({ length: n }, (_, i) => [i, 2] as [number, number]);

  it('a stall: the slowest 1 % all sent within 100 ms (two windows)', () => {
    const s = base(10_000);
    for (let i = 5000; i < 5100; i++) s[i] = [s[i][0], 30];
    expect(tailWindows(s)).toEqual({ slow_windows: 2, slow_share_in_top5_windows: 1 });
  });

  it('steady queueing: the slowest 1 % spread over the whole run', () => {
    const s = base(10_000);
    for (let i = 0; i < 10_000; i += 100) s[i] = [s[i][0], 30];
    const t = tailWindows(s);
    expect(t.slow_windows).toBe(100);
    expect(t.slow_share_in_top5_windows).toBe(0.05);
  });

  it('no samples', () => {
    expect(tailWindows([])).toEqual({ slow_windows: 0, slow_share_in_top5_windows: 0 });
  });
});
