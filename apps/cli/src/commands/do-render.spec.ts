import { describe as line } from './do-render';

/** Pure: the lines `godel do` prints for the events of a team that waits for its remote or re-sends a prompt. */
describe('godel do lines', () => {
  const ev = (type: string, data: Record<string, unknown>, at = '2026-12-01T10:00:30.000Z') => ({ seq: 1, at, type, agent: 'agent/t1:worker-1', team: 't1', correlationId: '', data });

  it('a remote outage says for how long the team has waited, from the recorded start (also after a move)', () => {
    const since = Date.parse('2026-12-01T10:00:00.000Z');
    expect(line(ev('team.remote_unavailable', { repo: 'git://h/app.git', code: 'workspace.unreachable', since }))).toMatch(/^the remote git:\/\/h\/app\.git is unavailable \(workspace\.unreachable\) for 30 s: the team waits/);
    expect(line(ev('team.remote_unavailable', { repo: 'git://h/app.git', code: 'workspace.auth_failed' }))).toMatch(/unavailable \(workspace\.auth_failed\): the team waits/);
    expect(line(ev('merge.remote_waiting', { task: 'api', code: 'workspace.push_refused', waitedS: 20, retryInMs: 2000 }))).toBe('merge of api: the remote refuses or cannot be reached (workspace.push_refused) for 20 s; waiting for it, next try in 2 s');
    expect(line(ev('team.remote_available', { repo: 'git://h/app.git' }))).toBe('the remote git://h/app.git is reachable again: the team goes on');
  });

  it('a prompt sent again, and a member that never took one', () => {
    expect(line(ev('monitor.reprompted', { agent: 'worker-1', resent: 2, waitedMs: 20_400 }))).toBe('monitor: worker-1 showed no sign of its prompt after 20 s; sent again (2)');
    expect(line(ev('monitor.unresponsive', { agent: 'worker-1', resent: 3, task: 'api' }))).toBe('monitor: worker-1 never took its prompt (sent 3 times); it is replaced and task api handed on');
  });
});
