import { FakeClock, systemClock } from './clock';

describe('FakeClock', () => {
  it('fires due timers in time order, then scheduling order, with now() at each due time', () => {
    const clock = new FakeClock(100);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 31);

    clock.advance(30);

    expect(fired).toEqual(['a@110', 'b@120', 'c@120']);
    expect(clock.now()).toBe(130);
    expect(clock.pendingTimers).toBe(1);
  });

  it('fires timers scheduled by fired callbacks when they fall due within the same advance', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);

    clock.advance(35);

    expect(fired).toEqual([10, 20, 30]);
    expect(clock.pendingTimers).toBe(1);
  });

  it('does not fire cleared timers', () => {
    const clock = new FakeClock();
    const fn = jest.fn();
    const handle = clock.setTimeout(fn, 5);
    clock.clearTimeout(handle);
    clock.advance(10);
    expect(fn).not.toHaveBeenCalled();
  });

  it('runAll jumps to every pending timer and refuses endless rescheduling', () => {
    const clock = new FakeClock();
    const fn = jest.fn();
    clock.setTimeout(fn, 1_000_000);
    clock.runAll();
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.now()).toBe(1_000_000);

    const forever = (): void => void clock.setTimeout(forever, 1);
    clock.setTimeout(forever, 1);
    expect(() => clock.runAll(50)).toThrow(/more than 50/);
  });

  it('rejects moving time backwards', () => {
    expect(() => new FakeClock().advance(-1)).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('runs and cancels real timers', async () => {
    const cancelled = jest.fn();
    systemClock.clearTimeout(systemClock.setTimeout(cancelled, 1));
    const before = systemClock.now();
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
