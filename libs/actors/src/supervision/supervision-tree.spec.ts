import type { BackoffPolicy } from './backoff';
import type { ChildSpec } from './child-spec';
import { FakeClock } from './clock';
import { OneForAllStrategy } from './one-for-all';
import { OneForOneStrategy } from './one-for-one';
import { RESTART_INTENSITY_EXCEEDED, type SupervisorStrategy } from './strategy';
import type { RootEscalation, SupervisionEvent } from './supervision-event';
import { Supervisor } from './supervisor';

const backoff: BackoffPolicy = { initialMs: 100, maxMs: 10_000, multiplier: 2, jitter: 0 };
const crashLoop = new Error('agent exited 137');
/** A team supervisor that escalates on the first failure of any agent. */
const escalatingTeam = () => new OneForOneStrategy({ backoff, intensity: { maxRestarts: 0, withinMs: 60_000 } });

/** root → [db, team → [x, y]], children logging into one ordered log. */
async function tree(rootStrategy: SupervisorStrategy, clock: FakeClock) {
  const log: string[] = [];
  const events: SupervisionEvent[] = [];
  const escalations: RootEscalation[] = [];
  const onEvent = (e: SupervisionEvent): void => void events.push(e);
  const child = (id: string): ChildSpec => ({
    id,
    start: () => void log.push(`start ${id}`),
    stop: (reason) => void log.push(`stop ${id} (${reason})`),
  });
  const root = new Supervisor('root', rootStrategy, clock, undefined, {
    onEvent,
    onEscalatedToRoot: (e) => void escalations.push(e),
  });
  const team = new Supervisor('team', escalatingTeam(), clock, root, { onEvent });
  await root.startChild(child('db'));
  await root.startChild(team.asChildSpec());
  await team.startChild(child('x'));
  await team.startChild(child('y'));
  const settle = (): Promise<void> => team.whenIdle(); // waits for root too
  const take = (): string[] => log.splice(0, log.length);
  take();
  return { root, team, events, escalations, settle, take };
}

describe('supervision tree', () => {
  let clock: FakeClock;
  beforeEach(() => (clock = new FakeClock()));

  it('escalates a failure to the parent, which restarts the whole subtree with its own strategy (one-for-one)', async () => {
    const t = await tree(new OneForOneStrategy({ backoff: { ...backoff, initialMs: 300 } }), clock);

    await t.team.childFailed('x', crashLoop);
    await t.settle();
    expect(t.take()).toEqual(['stop y (restart)', 'stop x (restart)']); // db untouched
    expect(t.events.map((e) => [e.supervisor, e.child, e.directive, e.reason])).toEqual([
      ['team', 'x', 'escalate', RESTART_INTENSITY_EXCEEDED],
      ['root', 'team', 'restart', undefined],
    ]);
    expect(t.events[1]).toMatchObject({ delayMs: 300, error: 'agent exited 137' });

    clock.advance(299);
    await t.settle();
    expect(t.take()).toEqual([]);
    clock.advance(1);
    await t.settle();
    expect(t.take()).toEqual(['start x', 'start y']);
    expect(t.team.children().map((c) => c.status)).toEqual(['running', 'running']);
    expect(t.escalations).toEqual([]);
  });

  it('the restarted subtree starts with a fresh restart intensity', async () => {
    const t = await tree(new OneForOneStrategy({ backoff }), clock);
    await t.team.childFailed('x', crashLoop);
    await t.settle();
    clock.advance(100);
    await t.settle();
    await t.team.childFailed('x', crashLoop);
    await t.settle();
    expect(t.events.map((e) => `${e.supervisor}:${e.child}:${e.directive}:${e.attempt}`)).toEqual([
      'team:x:escalate:1',
      'root:team:restart:1',
      'team:x:escalate:1', // attempts forgotten by the subtree restart
      'root:team:restart:2', // but the parent remembers: longer backoff next time
    ]);
    expect(t.events[3].delayMs).toBe(200);
  });

  it('the parent applies its own strategy: one-for-all at the root also restarts the siblings of the subtree', async () => {
    const t = await tree(new OneForAllStrategy({ backoff }), clock);
    await t.team.childFailed('y', crashLoop);
    await t.settle(); // the parent's decision (and its timer) happens on the parent's queue
    clock.advance(100);
    await t.settle();
    expect(t.take()).toEqual([
      'stop y (restart)',
      'stop x (restart)',
      'stop db (restart)',
      'start db',
      'start x',
      'start y',
    ]);
  });

  it('a root that must escalate stops everything and calls onEscalatedToRoot', async () => {
    const rootStrategy = new OneForOneStrategy({ backoff, intensity: { maxRestarts: 1, withinMs: 60_000 } });
    const t = await tree(rootStrategy, clock);

    await t.team.childFailed('x', crashLoop); // root restarts team (1 of 1 allowed)
    await t.settle();
    clock.advance(100);
    await t.settle();
    t.take();
    await t.team.childFailed('x', crashLoop); // root is out of restarts
    await t.settle();

    expect(t.take()).toEqual(['stop y (escalate)', 'stop x (escalate)', 'stop db (escalate)']);
    expect(t.escalations).toEqual([{ supervisor: 'root', child: 'team', error: crashLoop, reason: RESTART_INTENSITY_EXCEEDED }]);
    expect(t.root.isRunning).toBe(false);
    expect(t.root.children().map((c) => c.status)).toEqual(['stopped', 'stopped']);
    expect(t.team.children().map((c) => c.status)).toEqual(['stopped', 'stopped']);

    clock.runAll(); // nothing left to restart
    await t.settle();
    expect(t.take()).toEqual([]);
  });

  it('a supervisor not registered under its parent escalates like a root', async () => {
    const escalations: RootEscalation[] = [];
    const stopped: string[] = [];
    const parent = new Supervisor('root', new OneForOneStrategy(), clock);
    const orphan = new Supervisor('orphan', escalatingTeam(), clock, parent, { onEscalatedToRoot: (e) => void escalations.push(e) });
    await orphan.startChild({ id: 'x', start: () => undefined, stop: (r) => void stopped.push(r) });
    await orphan.childFailed('x', crashLoop);
    expect(stopped).toEqual(['escalate']);
    expect(escalations).toHaveLength(1);
  });
});
