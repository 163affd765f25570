import { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff';

const noJitter: BackoffPolicy = { initialMs: 100, maxMs: 1_000, multiplier: 2, jitter: 0 };

describe('backoffDelay', () => {
  it('grows exponentially from initialMs and is capped at maxMs', () => {
    const delays = [1, 2, 3, 4, 5, 6, 50, 5000].map((attempt) => backoffDelay(noJitter, attempt));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('keeps jitter within ±jitter of the base delay', () => {
    const policy: BackoffPolicy = { initialMs: 1_000, maxMs: 100_000, multiplier: 3, jitter: 0.25 };
    expect(backoffDelay(policy, 2, () => 0)).toBe(2_250); // 3000 * 0.75
    expect(backoffDelay(policy, 2, () => 0.5)).toBe(3_000);
    expect(backoffDelay(policy, 2, () => 0.999999)).toBe(3_750); // 3000 * 1.25, rounded
  });

  it('stays within bounds for many pseudo-random draws', () => {
    let seed = 42;
    const lcg = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const policy: BackoffPolicy = { initialMs: 500, maxMs: 8_000, multiplier: 2, jitter: 0.5 };
    const seen = new Set<number>();
    for (let attempt = 1; attempt <= 8; attempt++) {
      const base = Math.min(8_000, 500 * 2 ** (attempt - 1));
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(policy, attempt, lcg);
        seen.add(d);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.5));
        expect(d).toBeLessThanOrEqual(Math.min(8_000, Math.ceil(base * 1.5)));
      }
    }
    expect(seen.size).toBeGreaterThan(100); // jitter really spreads the delays
  });

  it('never exceeds maxMs, even with jitter at the cap', () => {
    const policy: BackoffPolicy = { initialMs: 100, maxMs: 1_000, multiplier: 10, jitter: 1 };
    expect(backoffDelay(policy, 3, () => 0.99)).toBe(1_000);
    expect(backoffDelay(policy, 3, () => 0.25)).toBe(500);
  });

  it('has a sane default and rejects invalid input', () => {
    expect(backoffDelay(defaultBackoff, 1, () => 0.5)).toBe(defaultBackoff.initialMs);
    expect(() => backoffDelay(noJitter, 0)).toThrow(RangeError);
    expect(() => backoffDelay(noJitter, 1.5)).toThrow(RangeError);
    expect(() => backoffDelay({ ...noJitter, jitter: 1.5 }, 1)).toThrow(/jitter/);
    expect(() => backoffDelay({ ...noJitter, multiplier: 0.5 }, 1)).toThrow(/multiplier/);
    expect(() => backoffDelay({ ...noJitter, maxMs: 10 }, 1)).toThrow(/maxMs/);
  });
});
