import { RestartWindow } from './restart-intensity';

describe('RestartWindow', () => {
  it('allows maxRestarts within the window, then refuses until old restarts slide out', () => {
    const window = new RestartWindow({ maxRestarts: 3, withinMs: 1_000 });
    for (const t of [0, 100, 200]) {
      expect(window.allows('a', t)).toBe(true);
      window.record('a', t);
    }
    expect(window.allows('a', 300)).toBe(false);
    expect(window.allows('a', 999)).toBe(false);
    expect(window.allows('a', 1_000)).toBe(true); // the restart at 0 no longer counts
    expect(window.count('a', 1_150)).toBe(1);
  });

  it('counts each child separately and forgets on request', () => {
    const window = new RestartWindow({ maxRestarts: 1, withinMs: 1_000 });
    window.record('a', 0);
    expect(window.allows('a', 10)).toBe(false);
    expect(window.allows('b', 10)).toBe(true);
    window.forget('a');
    expect(window.allows('a', 10)).toBe(true);
  });

  it('never allows a restart with maxRestarts 0 and validates the intensity', () => {
    expect(new RestartWindow({ maxRestarts: 0, withinMs: 1 }).allows('a', 0)).toBe(false);
    expect(() => new RestartWindow({ maxRestarts: -1, withinMs: 1 })).toThrow(RangeError);
    expect(() => new RestartWindow({ maxRestarts: 1, withinMs: 0 })).toThrow(RangeError);
  });
});
