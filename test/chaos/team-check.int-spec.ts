/**
 * The chaos harness's task checker (bench/chaos/team-workload.ts `checkTeamTasks`), on stored team
 * states built here: pure, no server. Real: the checker. Mocked: the "is this commit on the target
 * branch" probe (a set of commits).
 */
import { checkTeamTasks, type StoredTeam } from '../../bench/chaos/team-workload';

const onMain = (commits: string[]) => (c: string) => commits.includes(c);

describe('chaos checker: tasks lost', () => {
  it('a merged task (done, merged ledger entry on the target) and a reported failure are not lost', () => {
    const s: StoredTeam = {
      status: 'failed',
      repo: '/r',
      order: ['one', 'two'],
      tasks: { one: { status: 'done' }, two: { status: 'failed' } },
      ledger: [{ task: 'one', outcome: 'merged', merged: 'c1' }],
    };
    const r = checkTeamTasks('t1', s, [{ type: 'task.failed', data: { task: 'two' } }], onMain(['c1']));
    expect(r).toEqual({ tasks: 2, merged: 1, lost: [] });
  });

  it('an unfinished team with no plan loses its work (at least one task), and says why', () => {
    const r = checkTeamTasks('t2', { status: 'planning', repo: '/r' }, [], onMain([]));
    expect(r.tasks).toBe(0);
    expect(r.lost).toEqual([{ team: 't2', team_status: 'planning', task: null, task_status: null, ledger: [], reason: 'team not terminal at the deadline, no plan' }]);
  });

  it('an unfinished team whose tasks all merged still counts one lost (it never ended)', () => {
    const s: StoredTeam = { status: 'running', repo: '/r', order: ['one'], tasks: { one: { status: 'done' } }, ledger: [{ task: 'one', outcome: 'merged', merged: 'c1' }] };
    const r = checkTeamTasks('t3', s, [], onMain(['c1']));
    expect(r.merged).toBe(1);
    expect(r.lost.map((l) => [l.task, l.reason])).toEqual([[null, 'team not terminal at the deadline']]);
  });

  it('each lost task names its reason, its status, the team status and its ledger entries', () => {
    const s: StoredTeam = {
      status: 'running',
      repo: '/r',
      target: 'main',
      order: ['a', 'b', 'c', 'd', 'e'],
      tasks: { a: { status: 'done' }, b: { status: 'done' }, c: { status: 'cancelled' }, d: { status: 'running' } },
      ledger: [
        { task: 'a', outcome: 'rejected' },
        { task: 'b', outcome: 'merged', merged: 'gone' },
      ],
    };
    const r = checkTeamTasks('t4', s, [{ type: 'task.failed', data: { task: 'c' } }], onMain([]));
    expect(r.lost).toEqual([
      { team: 't4', team_status: 'running', task: 'a', task_status: 'done', ledger: [{ outcome: 'rejected' }], reason: 'done without a merged ledger entry' },
      { team: 't4', team_status: 'running', task: 'b', task_status: 'done', ledger: [{ outcome: 'merged', merged: 'gone' }], reason: 'merged commit gone not on main' },
      { team: 't4', team_status: 'running', task: 'c', task_status: 'cancelled', ledger: [], reason: 'cancelled without a task.cancelled event' },
      { team: 't4', team_status: 'running', task: 'd', task_status: 'running', ledger: [], reason: 'still running at the deadline' },
      { team: 't4', team_status: 'running', task: 'e', task_status: null, ledger: [], reason: 'in the plan but not in the task table' },
    ]);
  });
});
