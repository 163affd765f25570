import { makeUsage } from '../runtime/agent-runtime';
import { UsageMeter } from './usage-meter';

describe('UsageMeter', () => {
  it('per-run reports are added as they are', () => {
    const meter = new UsageMeter({ tokens: 'per-run', cost: 'per-run' });
    meter.beginRun(false);
    expect(meter.record(makeUsage({ input: 10, output: 5, costUsd: 0.1 }))).toEqual(makeUsage({ input: 10, output: 5, costUsd: 0.1 }));
    meter.beginRun(true);
    meter.record(makeUsage({ input: 10, output: 5, costUsd: 0.1 }));
    expect(meter.total).toEqual({ inputTokens: 20, outputTokens: 10, costUsd: 0.2, totalTokens: 30 });
  });

  it('cumulative reports of one conversation count only what each run added', () => {
    const meter = new UsageMeter({ tokens: 'cumulative', cost: 'cumulative' });
    meter.beginRun(false);
    meter.record(makeUsage({ input: 400, output: 90, cacheRead: 800, costUsd: 0.01 }));
    meter.beginRun(true);
    const delta = meter.record(makeUsage({ input: 800, output: 180, cacheRead: 1600, costUsd: 0.025 }));
    expect(delta.inputTokens).toBe(400);
    expect(delta.outputTokens).toBe(90);
    expect(delta.cacheRead).toBe(800);
    expect(delta.totalTokens).toBe(1290);
    expect(delta.costUsd).toBeCloseTo(0.015, 10);
    expect(meter.total).toMatchObject({ inputTokens: 800, outputTokens: 180, cacheRead: 1600, totalTokens: 2580 });
  });

  it('a report below its baseline is a fresh count, and a new conversation has no baseline', () => {
    const meter = new UsageMeter({ tokens: 'cumulative', cost: 'cumulative' });
    meter.beginRun(false);
    meter.record(makeUsage({ input: 100, output: 10, costUsd: 0.5 }));
    meter.beginRun(true);
    expect(meter.record(makeUsage({ input: 30, output: 3, costUsd: 0.1 }))).toEqual(makeUsage({ input: 30, output: 3, costUsd: 0.1 }));
    meter.beginRun(false);
    expect(meter.record(makeUsage({ input: 50, output: 5, costUsd: 0.2 }))).toEqual(makeUsage({ input: 50, output: 5, costUsd: 0.2 }));
    expect(meter.total).toMatchObject({ inputTokens: 180, outputTokens: 18 });
    expect(meter.total.costUsd).toBeCloseTo(0.8, 10);
  });

  it('mixes modes: per-run tokens with cumulative cost (Claude Code)', () => {
    const meter = new UsageMeter({ tokens: 'per-run', cost: 'cumulative' });
    meter.beginRun(false);
    meter.record(makeUsage({ input: 12, output: 80, costUsd: 0.0125 }));
    meter.beginRun(true);
    meter.record(makeUsage({ input: 12, output: 80, costUsd: 0.025 }));
    expect(meter.total).toMatchObject({ inputTokens: 24, outputTokens: 160 });
    expect(meter.total.costUsd).toBeCloseTo(0.025, 10);
  });
});
