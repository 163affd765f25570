import { WorkspaceError } from '@godel/workspace';
import { RemoteWait } from './remote-wait';
import { TeamRepo } from './team-repo';

/** Pure: the remote's failures are thrown by the effect itself; events go to an in-memory list, time is set by hand. */
describe('RemoteWait', () => {
  const URL = 'git://127.0.0.1:9/app.git';
  let now = 1_000_000;
  beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  function setup() {
    const events: Array<{ type: string; idemKey?: string; data: Record<string, unknown> }> = [];
    const failed: Array<{ team: string; reason: string }> = [];
    const wait = new RemoteWait(
      { events: { append: async (e) => events.push(e as (typeof events)[number]) }, remoteWaitMs: 60_000, failTeam: async (team, reason) => void failed.push({ team, reason }) },
      new TeamRepo(),
    );
    const effect = (n: number) => ({ id: `team/t1@1-0#${n}`, type: 'team.merge', from: 'team/t1', payload: { repo: URL, op: 'merge' }, tell: async () => undefined });
    return { events, failed, wait, effect };
  }
  const down = async () => {
    throw new WorkspaceError('workspace.unreachable', 'the repository cannot be reached: Connection refused');
  };

  it('within the wait: thrown (the runtime runs it again) and said once per effect; past it: the team fails once, the effects give up', async () => {
    const { events, failed, wait, effect } = setup();
    await expect(wait.run(effect(1), down)).rejects.toMatchObject({ code: 'workspace.unreachable' });
    now += 30_000;
    await expect(wait.run(effect(1), down)).rejects.toMatchObject({ code: 'workspace.unreachable' });
    expect(new Set(events.map((e) => e.idemKey))).toEqual(new Set([`team/t1@1-0#1:remote`]));
    expect(events[0]).toMatchObject({ type: 'team.remote_unavailable', data: { repo: URL, code: 'workspace.unreachable', retrying: true } });
    expect(failed).toEqual([]);
    now += 31_000;
    await expect(wait.run(effect(1), down)).resolves.toBeUndefined();
    await expect(wait.run(effect(2), down)).resolves.toBeUndefined();
    expect(failed).toHaveLength(1);
    expect(failed[0].team).toBe('t1');
    expect(failed[0].reason).toMatch(/^remote\.unavailable: the remote git:\/\/127\.0\.0\.1:9\/app\.git was unavailable for 61 s \(workspace\.unreachable\); check that it is up/);
    expect(events.filter((e) => e.type === 'team.remote_given_up')).toHaveLength(2);
  });

  it('a success resets the clock; other errors pass through untouched', async () => {
    const { failed, wait, effect } = setup();
    await expect(wait.run(effect(1), down)).rejects.toBeDefined();
    now += 50_000;
    await wait.run(effect(2), async () => undefined);
    now += 50_000;
    await expect(wait.run(effect(3), down)).rejects.toBeDefined(); // a new outage: waits again
    expect(failed).toEqual([]);
    const other = new Error('boom');
    await expect(wait.run(effect(4), async () => Promise.reject(other))).rejects.toBe(other);
  });
});
