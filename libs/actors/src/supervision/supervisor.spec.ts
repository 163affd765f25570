import type { BackoffPolicy } from './backoff';
import type { ChildSpec } from './child-spec';
import { FakeClock } from './clock';
import type { Directive } from './directive';
import { DuplicateChildError } from './duplicate-child-error';
import { OneForAllStrategy } from './one-for-all';
import { OneForOneStrategy } from './one-for-one';
import { RestForOneStrategy } from './rest-for-one';
import type { SupervisionEvent } from './supervision-event';
import { Supervisor } from './supervisor';

const backoff: BackoffPolicy = { initialMs: 100, maxMs: 10_000, multiplier: 2, jitter: 0 };
const boom = new Error('boom');

/** Children that log their starts and stops into one shared, ordered log. */
function harness() {
  const log: string[] = [];
  const failingStarts = new Map<string, number>();
  const child = (id: string): ChildSpec => ({
    id,
    start: async () => {
      await Promise.resolve();
      log.push(`start ${id}`);
      const left = failingStarts.get(id) ?? 0;
      if (left > 0) {
        failingStarts.set(id, left - 1);
        throw new Error(`${id} would not start`);
      }
    },
    stop: (reason) => void log.push(`stop ${id} (${reason})`),
  });
  const take = (): string[] => log.splice(0, log.length);
  return { log, child, take, failStarts: (id: string, times: number) => failingStarts.set(id, times) };
}

async function startAll(sup: Supervisor, specs: ChildSpec[]): Promise<void> {
  for (const spec of specs) await sup.startChild(spec);
}

describe('Supervisor', () => {
  let clock: FakeClock;
  let events: SupervisionEvent[];
  const onEvent = (e: SupervisionEvent): void => void events.push(e);

  beforeEach(() => {
    clock = new FakeClock();
    events = [];
  });

  it('one-for-one: stops only the failed child and starts it again once the backoff delay has passed', async () => {
    const h = harness();
    const sup = new Supervisor('team', new OneForOneStrategy({ backoff }), clock, undefined, { onEvent });
    await startAll(sup, ['a', 'b', 'c'].map(h.child));
    expect(h.take()).toEqual(['start a', 'start b', 'start c']);

    await sup.childFailed('b', boom);
    expect(h.take()).toEqual(['stop b (restart)']);
    expect(sup.children()).toEqual([
      { id: 'a', status: 'running' },
      { id: 'b', status: 'pending' },
      { id: 'c', status: 'running' },
    ]);

    clock.advance(99);
    await sup.whenIdle();
    expect(h.take()).toEqual([]);

    clock.advance(1);
    await sup.whenIdle();
    expect(h.take()).toEqual(['start b']);
    expect(sup.children().map((c) => c.status)).toEqual(['running', 'running', 'running']);
    expect(events).toEqual([
      { supervisor: 'team', child: 'b', directive: 'restart', attempt: 1, delayMs: 100, affected: ['b'], error: 'boom' },
    ]);
  });

  it('one-for-all: stops every child in reverse order and starts them all in order', async () => {
    const h = harness();
    const sup = new Supervisor('team', new OneForAllStrategy({ backoff }), clock);
    await startAll(sup, ['a', 'b', 'c'].map(h.child));
    h.take();

    await sup.childFailed('b', boom);
    clock.advance(100);
    await sup.whenIdle();
    expect(h.take()).toEqual(['stop c (restart)', 'stop b (restart)', 'stop a (restart)', 'start a', 'start b', 'start c']);
  });

  it('rest-for-one: restarts the failed child and the ones started after it', async () => {
    const h = harness();
    const sup = new Supervisor('team', new RestForOneStrategy({ backoff }), clock);
    await startAll(sup, ['a', 'b', 'c'].map(h.child));
    h.take();

    await sup.childFailed('b', boom);
    clock.advance(100);
    await sup.whenIdle();
    expect(h.take()).toEqual(['stop c (restart)', 'stop b (restart)', 'start b', 'start c']);
  });

  it('a newer restart takes over children already waiting for an older one, keeping start order', async () => {
    const h = harness();
    const sup = new Supervisor('team', new RestForOneStrategy({ backoff }), clock);
    await startAll(sup, ['a', 'b', 'c'].map(h.child));
    h.take();

    await sup.childFailed('c', boom); // c due at 100
    clock.advance(50);
    await sup.childFailed('a', boom); // a, b, c due at 150
    expect(h.take()).toEqual(['stop c (restart)', 'stop b (restart)', 'stop a (restart)']);

    clock.advance(50);
    await sup.whenIdle();
    expect(h.take()).toEqual([]); // c's old restart no longer applies
    clock.advance(50);
    await sup.whenIdle();
    expect(h.take()).toEqual(['start a', 'start b', 'start c']);
  });

  it('handles a start() that throws as a failure, backing off further on each consecutive one', async () => {
    const h = harness();
    h.failStarts('a', 3);
    const sup = new Supervisor('team', new OneForOneStrategy({ backoff }), clock, undefined, { onEvent });
    await sup.startChild(h.child('a'));
    expect(sup.children()).toEqual([{ id: 'a', status: 'pending' }]);

    for (const delay of [100, 200, 400]) {
      clock.advance(delay);
      await sup.whenIdle();
    }
    expect(h.take()).toEqual(['start a', 'start a', 'start a', 'start a']); // no stop(): it never started
    expect(sup.children()).toEqual([{ id: 'a', status: 'running' }]);
    expect(events.map((e) => [e.attempt, e.delayMs, e.error])).toEqual([
      [1, 100, 'a would not start'],
      [2, 200, 'a would not start'],
      [3, 400, 'a would not start'],
    ]);
  });

  it('resets the attempt counter once a child has run resetAfterMs without failing', async () => {
    const h = harness();
    const sup = new Supervisor('team', new OneForOneStrategy({ backoff }), clock, undefined, { onEvent, resetAfterMs: 1_000 });
    const failAt = async (t: number): Promise<void> => {
      // In 50 ms steps: a restart's start() (and the countdown it arms) runs after the advance that fired it.
      while (clock.now() < t) {
        clock.advance(50);
        await sup.whenIdle();
      }
      await sup.childFailed('a', boom);
    };
    await sup.startChild(h.child('a')); // t=0

    await failAt(0); // attempt 1, restarted at 100
    await failAt(900); // attempt 2, restarted at 1100: the countdowns of earlier runs must not count
    await failAt(1150); // attempt 3, restarted at 1550
    await failAt(2550); // ran 1000 ms without failing: attempt 1 again

    expect(events.map((e) => [e.attempt, e.delayMs])).toEqual([
      [1, 100],
      [2, 200],
      [3, 400],
      [1, 100],
    ]);
  });

  it('a resumed failure restarts the healthy countdown', async () => {
    const h = harness();
    const decider = (): Directive => 'resume';
    const sup = new Supervisor('team', new OneForOneStrategy({ decider }), clock, undefined, { onEvent, resetAfterMs: 1_000 });
    await sup.startChild(h.child('a'));
    clock.advance(500);
    await sup.childFailed('a', boom);
    clock.advance(700); // 1200 ms since start, 700 since the last failure
    await sup.childFailed('a', boom);
    clock.advance(1_000);
    await sup.childFailed('a', boom);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 1]);
  });

  it('stop directive: stops and removes the child; resume: leaves it running', async () => {
    const h = harness();
    const decider = (error: unknown): Directive => (error === boom ? 'stop' : 'resume');
    const sup = new Supervisor('team', new OneForAllStrategy({ decider, backoff }), clock, undefined, { onEvent });
    await startAll(sup, ['a', 'b'].map(h.child));
    h.take();

    await sup.childFailed('a', new Error('hiccup'));
    expect(h.take()).toEqual([]);
    expect(sup.children().map((c) => c.status)).toEqual(['running', 'running']);

    await sup.childFailed('a', boom);
    clock.runAll();
    await sup.whenIdle();
    expect(h.take()).toEqual(['stop a (stop)']);
    expect(sup.children()).toEqual([{ id: 'b', status: 'running' }]);
    expect(events.map((e) => [e.directive, e.affected])).toEqual([
      ['resume', []],
      ['stop', ['a']],
    ]);
  });

  it('ignores stale failure reports: unknown children and children waiting for their restart', async () => {
    const h = harness();
    const sup = new Supervisor('team', new OneForOneStrategy({ backoff }), clock, undefined, { onEvent });
    await sup.startChild(h.child('a'));
    await sup.childFailed('a', boom);
    await sup.childFailed('a', boom); // already pending
    await sup.childFailed('ghost', boom);
    expect(events).toHaveLength(1);
  });

  it('rejects a duplicate child id', async () => {
    const h = harness();
    const sup = new Supervisor('team', new OneForOneStrategy(), clock);
    await sup.startChild(h.child('a'));
    await expect(sup.startChild(h.child('a'))).rejects.toBeInstanceOf(DuplicateChildError);
    await sup.startChild(h.child('b')); // the queue keeps working
    expect(h.take()).toEqual(['start a', 'start b']);
  });

  it('stop() cancels pending restarts; start() brings every child back', async () => {
    const h = harness();
    const sup = new Supervisor('team', new OneForOneStrategy({ backoff }), clock);
    await startAll(sup, ['a', 'b'].map(h.child));
    await sup.childFailed('a', boom);
    await sup.stop('shutdown');
    clock.runAll();
    await sup.whenIdle();
    expect(h.take()).toEqual(['start a', 'start b', 'stop a (restart)', 'stop b (shutdown)']);
    expect(sup.isRunning).toBe(false);

    await sup.start();
    expect(h.take()).toEqual(['start a', 'start b']);
  });
});
