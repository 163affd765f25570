import type { BackoffPolicy } from './backoff';
import type { Directive } from './directive';
import { OneForOneStrategy } from './one-for-one';
import { RESTART_INTENSITY_EXCEEDED } from './strategy';

const backoff: BackoffPolicy = { initialMs: 100, maxMs: 1_000, multiplier: 2, jitter: 0 };
const children = ['db', 'cache', 'api', 'worker'];
const boom = new Error('boom');

describe('SupervisorStrategy', () => {
  it('one-for-one restarts only the failed child', () => {
    const d = new OneForOneStrategy({ backoff }).decide('api', children, boom, 0);
    expect(d).toEqual({ directive: 'restart', affected: ['api'], delayMs: 100, attempt: 1 });
  });

  it('counts consecutive failures per child and backs off further each time until reset', () => {
    const strategy = new OneForOneStrategy({ backoff, intensity: { maxRestarts: 100, withinMs: 1_000 } });
    const delays = [1, 2, 3, 4, 5].map((t) => strategy.decide('api', children, boom, t).delayMs);
    expect(delays).toEqual([100, 200, 400, 800, 1_000]);
    expect(strategy.decide('db', children, boom, 6)).toMatchObject({ attempt: 1, delayMs: 100 });

    strategy.reset('api');
    expect(strategy.decide('api', children, boom, 7)).toMatchObject({ attempt: 1, delayMs: 100 });
  });

  it('escalates once the restart intensity is exceeded, and restarts again when the window slides', () => {
    const strategy = new OneForOneStrategy({ backoff, intensity: { maxRestarts: 2, withinMs: 1_000 } });
    expect(strategy.decide('api', children, boom, 0).directive).toBe('restart');
    expect(strategy.decide('api', children, boom, 10).directive).toBe('restart');
    expect(strategy.decide('api', children, boom, 20)).toEqual({
      directive: 'escalate',
      affected: [],
      delayMs: 0,
      attempt: 3,
      reason: RESTART_INTENSITY_EXCEEDED,
    });
    expect(strategy.decide('db', children, boom, 20).directive).toBe('restart'); // per child
    expect(strategy.decide('api', children, boom, 1_005).directive).toBe('restart');
  });

  it('follows the decider, which sees the attempt number', () => {
    const seen: number[] = [];
    const decider = (_e: unknown, attempt: number): Directive => {
      seen.push(attempt);
      return attempt === 1 ? 'resume' : attempt === 2 ? 'stop' : 'escalate';
    };
    const strategy = new OneForOneStrategy({ decider, backoff });
    expect(strategy.decide('api', children, boom, 0)).toMatchObject({ directive: 'resume', affected: [] });
    expect(strategy.decide('api', children, boom, 0)).toMatchObject({ directive: 'stop', affected: ['api'] });
    expect(strategy.decide('api', children, boom, 0)).toMatchObject({ directive: 'escalate', affected: [] });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('applies jitter from the injected random source', () => {
    const strategy = new OneForOneStrategy({ backoff: { ...backoff, jitter: 0.5 }, random: () => 0 });
    expect(strategy.decide('api', children, boom, 0).delayMs).toBe(50);
  });

  it('rejects a failure of an unknown child and an invalid backoff', () => {
    expect(() => new OneForOneStrategy().decide('ghost', children, boom, 0)).toThrow(/unknown child/);
    expect(() => new OneForOneStrategy({ backoff: { ...backoff, jitter: 2 } })).toThrow(RangeError);
  });
});
