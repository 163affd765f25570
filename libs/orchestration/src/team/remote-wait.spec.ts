import { WorkspaceError } from '@godel/workspace';
import { RemoteWait } from './remote-wait';
import { TeamRepo } from './team-repo';

/** Pure: the remote's failures are thrown by the effect itself; events go to an in-memory list, time is set by hand. */
describe('RemoteWait', () => {
  const URL = 'git://127.0.0.1:9/app.git';
  let now = 1_000_000;
  beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  type Ev = { type: string; team?: string; idemKey?: string; at?: number; data: Record<string, unknown> };
  /** One instance's RemoteWait over an event list (shared between instances to play a team's move). */
  function setup(events: Ev[] = []) {
    const failed: Array<{ team: string; reason: string }> = [];
    const latestOf = async (team: string, types: string[], repo?: string) => {
      const e = [...events].reverse().find((x) => x.team === team && types.includes(x.type) && (repo === undefined || x.data.repo === repo));
      return e ? { seq: 1, at: new Date(e.at ?? 0).toISOString(), type: e.type, agent: '', team, correlationId: '', data: e.data } : null;
    };
    const wait = new RemoteWait(
      { events: { append: async (e) => events.push(e as Ev), latestOf }, remoteWaitMs: 60_000, failTeam: async (team, reason) => void failed.push({ team, reason }) },
      new TeamRepo(),
    );
    const effect = (n: number) => ({ id: `team/t1@1-0#${n}`, type: 'team.merge', from: 'team/t1', payload: { repo: URL, op: 'merge' }, tell: async () => undefined });
    return { events, failed, wait, effect };
  }
  const down = async () => {
    throw new WorkspaceError('workspace.unreachable', 'the repository cannot be reached: Connection refused');
  };

  it('within the wait: thrown (the runtime runs it again) and said once per quarter of the wait; past it: the team fails once, the effects give up', async () => {
    const { events, failed, wait, effect } = setup();
    await expect(wait.run(effect(1), down)).rejects.toMatchObject({ code: 'workspace.unreachable' });
    now += 30_000;
    await expect(wait.run(effect(1), down)).rejects.toMatchObject({ code: 'workspace.unreachable' });
    await expect(wait.run(effect(1), down)).rejects.toMatchObject({ code: 'workspace.unreachable' });
    expect(new Set(events.map((e) => e.idemKey))).toEqual(new Set([`team/t1@1-0#1:remote:0`, `team/t1@1-0#1:remote:2`]));
    expect(events[0]).toMatchObject({ type: 'team.remote_unavailable', data: { repo: URL, code: 'workspace.unreachable', retrying: true, since: 1_000_000 } });
    expect(failed).toEqual([]);
    now += 31_000;
    await expect(wait.run(effect(1), down)).resolves.toBeUndefined();
    await expect(wait.run(effect(2), down)).resolves.toBeUndefined();
    expect(failed).toHaveLength(1);
    expect(failed[0].team).toBe('t1');
    expect(failed[0].reason).toMatch(/^remote\.unavailable: the remote git:\/\/127\.0\.0\.1:9\/app\.git was unavailable for 61 s \(workspace\.unreachable\); check that it is up/);
    expect(events.filter((e) => e.type === 'team.remote_given_up')).toHaveLength(2);
  });

  it('a success resets the clock and is said; other errors pass through untouched', async () => {
    const { events, failed, wait, effect } = setup();
    await expect(wait.run(effect(1), down)).rejects.toBeDefined();
    now += 50_000;
    await wait.run(effect(2), async () => undefined);
    expect(events.filter((e) => e.type === 'team.remote_available')).toHaveLength(1);
    await wait.run(effect(3), async () => undefined);
    expect(events.filter((e) => e.type === 'team.remote_available')).toHaveLength(1);
    now += 50_000;
    await expect(wait.run(effect(3), down)).rejects.toBeDefined(); // a new outage: waits again
    expect(failed).toEqual([]);
    const other = new Error('boom');
    await expect(wait.run(effect(4), async () => Promise.reject(other))).rejects.toBe(other);
  });

  it("the clock survives a move: the instance taking the team over gives up when the first one's wait ends", async () => {
    const { events, failed: failedOnA, wait: onA, effect } = setup();
    await expect(onA.run(effect(1), down)).rejects.toBeDefined(); // A: down since 1_000_000
    now += 40_000;
    await expect(onA.run(effect(1), down)).rejects.toBeDefined();
    // A is lost; B (a fresh RemoteWait over the same event log) runs the effect again.
    now += 5_000;
    const { failed, wait: onB } = setup(events);
    await expect(onB.run(effect(1), down)).rejects.toBeDefined(); // 45 s into the outage: still waiting
    now += 16_000;
    await expect(onB.run(effect(1), down)).resolves.toBeUndefined(); // 61 s: B gives up, not 16 s into its own clock
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toMatch(/unavailable for 61 s/);
    expect(failedOnA).toEqual([]);
  });

  it('a recorded outage that ended (remote_available) or went quiet long ago does not carry over', async () => {
    const { events, wait: onA, effect } = setup();
    await expect(onA.run(effect(1), down)).rejects.toBeDefined();
    now += 10_000;
    const { wait: onB } = setup(events);
    await onB.run(effect(2), async () => undefined); // B's first outcome: the remote is back, said once
    expect(events.filter((e) => e.type === 'team.remote_available')).toHaveLength(1);
    now += 55_000;
    const { failed, wait: onC } = setup(events);
    await expect(onC.run(effect(3), down)).rejects.toBeDefined(); // a new outage on C: a fresh clock
    expect(events.at(-1)?.data.since).toBe(now);
    const quiet: Ev[] = [{ type: 'team.remote_unavailable', team: 't1', at: now, data: { repo: URL, since: now - 30_000 } }];
    now += 61_000;
    const { wait: onD } = setup(quiet);
    await expect(onD.run(effect(4), down)).rejects.toBeDefined(); // the last word is 61 s old: not the same outage
    expect(quiet.at(-1)?.data.since).toBe(now);
    expect(failed).toEqual([]);
  });
});
