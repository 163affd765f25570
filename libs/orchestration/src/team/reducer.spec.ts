import type { AgentUpdate } from '@godel/agents';
import type { TeamMessage } from './messages';
import { reduceTeam } from './reducer';
import { senderAllowed, teamActor } from './team-actor';
import { initialTeamState, type TeamState } from './team-state';
import type { TeamEffect, TeamReads, WorkCommitted } from './turn';

const TIP = 'a'.repeat(40);
const SELF = 'team/t1';

/** Reads of a repository whose target sits at TIP; nothing here changes anything. */
function reads(activity = new Map<string, number>(), taken = new Map<string, string>()): TeamReads {
  return {
    tip: async () => TIP,
    diff: async () => ({ diff: '+x', truncated: false, files: ['x'] }),
    sameTree: async (_c, a, b) => a === b,
    refsUnder: async () => [],
    lastActivity: async () => activity,
    promptsTaken: async () => taken,
    teamUsage: async () => ({ total: 0, costUsd: 0 }),
  };
}

const start: TeamMessage = {
  type: 'team.start',
  payload: {
    intent: 'add and mul',
    intentId: 'int-1',
    repo: '/repo',
    target: 'main',
    providers: [],
    workflow: {
      name: 'two',
      tasks: [
        { id: 'add', title: 'Add', prompt: 'add', dependsOn: [], role: 'worker' },
        { id: 'mul', title: 'Mul', prompt: 'mul', dependsOn: [], role: 'worker' },
      ],
    },
    settings: { concurrency: 2, stuckMs: 1000 },
  },
};

function started(name: string, seq: number): TeamMessage {
  const u: AgentUpdate = { name, event: 'started', status: 'idle', worktree: `/wt/${name}`, seq, usage: { input: 0, output: 0, total: 0, costUsd: 0 } };
  return { type: 'team.agent_update', payload: u };
}

const kinds = (effects: TeamEffect[]) => effects.map((e) => (e.kind === 'event' ? `event ${e.event.type}` : e.kind === 'tell' ? `tell ${e.to} ${e.type}` : e.kind === 'git' ? `git ${e.action.op}` : e.kind));

async function run(s: TeamState, msgs: TeamMessage[], now: number, io = reads()): Promise<{ state: TeamState; effects: TeamEffect[] }> {
  let out = { state: s, effects: [] as TeamEffect[] };
  for (const m of msgs) out = await reduceTeam(structuredClone(out.state), m, now, io, SELF);
  return out;
}

describe('the team reducer', () => {
  it('starts a workflow team with effects only: events, agent starts, the monitor reminder; time from the turn', async () => {
    const { state, effects } = await run(initialTeamState('t1'), [start], 5000);
    expect(state.status).toBe('running');
    expect(state.createdAt).toBe(5000);
    expect(kinds(effects)).toEqual(['event team.started', 'event team.planned', 'tell agent/t1:reviewer-1 agent.start', 'tell agent/t1:worker-1 agent.start', 'tell agent/t1:worker-2 agent.start', 'reminder', 'event task.ready', 'event task.ready']);
    expect(effects.filter((e) => e.kind === 'event').every((e) => e.kind === 'event' && e.event.at === 5000 && e.event.correlationId === 'int-1')).toBe(true);
    // The same message on the same state decides the same effects (a replayed turn).
    expect((await run(initialTeamState('t1'), [start], 5000)).effects).toEqual(effects);
  });

  it('hands every ready task to an idle worker in the same turn (their prompts leave together)', async () => {
    const s = (await run(initialTeamState('t1'), [start, started('worker-1', 1)], 6000)).state;
    const { state, effects } = await run(s, [started('worker-2', 1)], 7000);
    expect(state.tasks.add.status).toBe('running');
    expect(state.tasks.mul.status).toBe('running');
    const prompts = effects.filter((e) => e.kind === 'tell' && e.type === 'agent.prompt').map((e) => (e.kind === 'tell' ? e.to : ''));
    expect(prompts).toEqual(['agent/t1:worker-2']);
    // worker-1 got its task in the turn before; each prompt is preceded by its worktree reset.
    const k = kinds(effects);
    expect(k.indexOf('git reset_worktree')).toBeLessThan(k.indexOf('tell agent/t1:worker-2 agent.prompt'));
    expect(Object.values(state.members).filter((m) => m.task).map((m) => m.name).sort()).toEqual(['worker-1', 'worker-2']);
  });

  it('both tasks start in one turn when both workers are already idle', async () => {
    const s = (await run(initialTeamState('t1'), [start], 5000)).state;
    // Both workers report in before the team's next turn: mark them idle with worktrees directly.
    for (const n of ['worker-1', 'worker-2']) Object.assign(s.members[n], { status: 'idle', worktree: `/wt/${n}` });
    const { state, effects } = await run(s, [{ type: 'get', payload: {} }], 6000);
    expect(['add', 'mul'].map((id) => state.tasks[id].status)).toEqual(['running', 'running']);
    expect(effects.filter((e) => e.kind === 'tell' && e.type === 'agent.prompt')).toHaveLength(2);
  });

  it('the monitor restarts a busy member with no progress for stuckMs, and schedules itself again', async () => {
    const s = (await run(initialTeamState('t1'), [start, started('worker-1', 1)], 6000)).state;
    expect(s.members['worker-1'].busySince).toBe(6000);
    const took = new Map([['agent/t1:worker-1', 't1/worker-1/1']]);
    const quiet = await run(s, [{ type: 'reminder', payload: {} }], 6500, reads(new Map([['agent/t1:worker-1', 6400]]), took));
    expect(kinds(quiet.effects)).toEqual(['reminder']);
    const stuck = await run(s, [{ type: 'reminder', payload: {} }], 8000, reads(new Map([['agent/t1:worker-1', 6400]]), took));
    expect(kinds(stuck.effects)).toEqual(['event monitor.stuck', 'tell agent/t1:worker-1 agent.restart', 'reminder']);
    expect(stuck.state.members['worker-1'].busySince).toBe(8000);
  });

  it('a coordinator lost while planning is replaced once and the replacement plans; a second loss fails the team', async () => {
    const planned: TeamMessage = { type: 'team.start', payload: { ...start.payload, workflow: undefined } as typeof start.payload };
    const failed = (name: string, seq: number, reason: string): TeamMessage => ({ type: 'team.agent_update', payload: { name, event: 'failed', status: 'failed', reason, seq, usage: { input: 0, output: 0, total: 0, costUsd: 0 } } });
    let out = await run(initialTeamState('t1'), [planned, started('coordinator', 1)], 1000);
    expect(out.state.status).toBe('planning');
    expect(out.state.planPrompted).toBe(true);
    out = await run(out.state, [failed('coordinator', 2, 'model error: Connection error.')], 2000);
    expect(out.state.status).toBe('planning');
    expect(kinds(out.effects)).toEqual(['event monitor.replaced', 'tell agent/t1:coordinator-2 agent.start']);
    out = await run(out.state, [started('coordinator-2', 1)], 3000);
    const prompt = out.effects.find((e) => e.kind === 'tell' && e.type === 'agent.prompt');
    expect(prompt).toMatchObject({ to: 'agent/t1:coordinator-2' });
    out = await run(out.state, [failed('coordinator-2', 2, 'storage.unavailable')], 4000);
    expect({ status: out.state.status, reason: out.state.reason }).toEqual({ status: 'failed', reason: 'coordinator lost twice: storage.unavailable' });
  });

  describe('a prompt the agent never took (refused mid-start, dead-lettered, lost with an instance)', () => {
    const tick: TeamMessage = { type: 'reminder', payload: {} };
    const prompts = (effects: TeamEffect[]) => effects.filter((e) => e.kind === 'tell' && e.type === 'agent.prompt').map((e) => (e.kind === 'tell' ? e.payload : undefined));

    it('is resent under its id after repromptMs, three times, then the member is lost and its task handed on', async () => {
      let s = (await run(initialTeamState('t1'), [start, started('worker-1', 1)], 6000)).state;
      const first = s.members['worker-1'].prompt!;
      expect(first).toMatchObject({ id: 't1/worker-1/1', at: 6000, resent: 0 });
      // Quiet for less than repromptMs (20 s): nothing yet; the stuck restart does not apply to a prompt never taken.
      expect(kinds((await run(s, [tick], 25_000)).effects)).toEqual(['reminder']);
      for (const [i, now] of [[1, 26_000], [2, 46_000], [3, 66_000]] as const) {
        const out = await run(s, [tick], now);
        expect(kinds(out.effects)).toEqual(['event monitor.reprompted', 'tell agent/t1:worker-1 agent.prompt', 'reminder']);
        expect(prompts(out.effects)).toEqual([{ text: first.text, id: first.id }]);
        s = out.state;
        expect(s.members['worker-1'].prompt!.resent).toBe(i);
      }
      const lost = await run(s, [tick], 86_000);
      expect(kinds(lost.effects)).toEqual(['event monitor.unresponsive', 'tell agent/t1:worker-1 agent.stop', 'event monitor.reassigned', 'event task.ready', 'reminder', 'tell agent/t1:worker-3 agent.start']);
      expect(lost.state.members['worker-1'].retired).toBe(true);
      expect(lost.state.tasks.add).toMatchObject({ status: 'ready', worker: undefined });
      expect(lost.state.members['worker-3']).toMatchObject({ role: 'worker', status: 'preparing' }); // its replacement
    });

    it('a taken prompt is not resent; an update sent before the prompt arrived (idle) does not free the member', async () => {
      const s = (await run(initialTeamState('t1'), [start, started('worker-1', 1)], 6000)).state;
      const took = reads(new Map([['agent/t1:worker-1', 6100]]), new Map([['agent/t1:worker-1', 't1/worker-1/1']]));
      // Taken, then silent past stuckMs (1 s here): restarted on its session, not prompted again.
      expect(kinds((await run(s, [tick], 30_000, took)).effects)).toEqual(['event monitor.stuck', 'tell agent/t1:worker-1 agent.restart', 'reminder']);
      const restarted: TeamMessage = { type: 'team.agent_update', payload: { name: 'worker-1', event: 'restarted', status: 'idle', seq: 2, usage: { input: 0, output: 0, total: 0, costUsd: 0 } } };
      const after = (await run(s, [restarted], 7000)).state.members['worker-1'];
      expect(after).toMatchObject({ status: 'running', busySince: 7000, task: 'add' });
      expect(after.prompt?.id).toBe('t1/worker-1/1');
    });
  });

  describe('a worker\'s commit as a round trip (commit_work effect → team.work_committed)', () => {
    const C = 'c'.repeat(40);
    const done = (name: string, seq: number): TeamMessage => ({ type: 'team.agent_update', payload: { name, event: 'turn_completed', status: 'idle', seq, text: 'done', usage: { input: 0, output: 0, total: 0, costUsd: 0 } } });
    const committed = (w: Partial<WorkCommitted> = {}): TeamMessage => ({ type: 'team.work_committed', payload: { task: 'add', round: 1, assignment: 1, purpose: 'review', commit: C, ...w } });
    const working = async () => (await run(initialTeamState('t1'), [start, started('worker-1', 1), started('worker-2', 1)], 6000)).state;
    const stale = (effects: TeamEffect[]) => effects.filter((e) => e.kind === 'event' && e.event.type === 'team.message_stale').map((e) => (e.kind === 'event' ? e.event.data : {}));

    it('a finished turn asks for the commit (an effect) and waits; the answer sends the change to review', async () => {
      const asked = await run(await working(), [done('worker-1', 2)], 7000);
      expect(asked.effects).toEqual([{ kind: 'git', action: { op: 'commit_work', repo: '/repo', worktree: '/wt/worker-1', message: 'Add\n\nGodel-Task: t1/add (round 1)', task: 'add', round: 1, assignment: 1, purpose: 'review' } }]);
      expect(asked.state.tasks.add).toMatchObject({ status: 'running', committing: { round: 1, assignment: 1, purpose: 'review' } });
      const answered = await run(asked.state, [committed()], 8000);
      expect(answered.state.tasks.add).toMatchObject({ status: 'in_review', commit: C, committing: undefined });
      expect(kinds(answered.effects)).toContain('event task.in_review');
    });

    it('a stale answer (again, another round or assignment, another purpose, an unknown task) is recorded and changes nothing', async () => {
      const asked = (await run(await working(), [done('worker-1', 2)], 7000)).state;
      const answered = (await run(asked, [committed()], 8000)).state;
      for (const [s, msg, reason] of [
        [answered, committed(), 'not the commit the task waits for'],
        [asked, committed({ round: 2 }), 'not the commit the task waits for'],
        [asked, committed({ assignment: 2 }), 'not the commit the task waits for'],
        [asked, committed({ purpose: 'unfinished' }), 'not the commit the task waits for'],
        [asked, committed({ task: 'nope' }), 'unknown task'],
      ] as const) {
        const out = await run(s, [msg], 9000);
        expect(stale(out.effects)).toEqual([expect.objectContaining({ type: 'team.work_committed', reason })]);
        expect(kinds(out.effects)).toEqual(['event team.message_stale']);
        expect(out.state).toEqual({ ...s });
      }
      // The worker was lost meanwhile and its task handed on: the late answer is stale too.
      const lost = await run(asked, [{ type: 'team.agent_update', payload: { name: 'worker-1', event: 'failed', status: 'failed', seq: 3, reason: 'crashed', usage: { input: 0, output: 0, total: 0, costUsd: 0 } } }], 8500);
      expect(lost.state.tasks.add.status).not.toBe('running');
      expect(stale((await run(lost.state, [committed()], 9000)).effects)).toEqual([expect.objectContaining({ reason: 'the task moved on' })]);
    });

    it('a team ending with work in progress commits it first, and reports its end (work kept) when the commits are back', async () => {
      const s = await working();
      const cancel = await run(s, [{ type: 'team.cancel', payload: { reason: 'enough' } }], 7000);
      expect(cancel.state.status).toBe('running');
      expect(cancel.state.finishing).toEqual({ status: 'cancelled', reason: 'enough', pending: ['add', 'mul'] });
      expect(kinds(cancel.effects)).toEqual(['git commit_work', 'git commit_work']);
      // Nothing new happens while it finishes: a finished turn is not committed for review.
      expect((await run(cancel.state, [done('worker-1', 2)], 7500)).effects).toEqual([]);
      const one = await run(cancel.state, [committed({ purpose: 'unfinished' })], 8000);
      expect(one.state.finishing?.pending).toEqual(['mul']);
      expect(kinds(one.effects)).toEqual([]);
      const end = await run(one.state, [committed({ task: 'mul', purpose: 'unfinished', commit: 'd'.repeat(40) })], 9000);
      expect(end.state).toMatchObject({ status: 'cancelled', reason: 'enough', finishing: undefined });
      const last = end.effects.find((e) => e.kind === 'event' && e.event.type === 'team.cancelled');
      expect(last?.kind === 'event' && last.event.data.kept).toEqual([expect.objectContaining({ task: 'add', branch: 'godel/t1/failed/add' }), expect.objectContaining({ task: 'mul', branch: 'godel/t1/failed/mul' })]);
      expect(end.effects.filter((e) => e.kind === 'git' && e.action.op === 'keep_ref').map((e) => (e.kind === 'git' && e.action.op === 'keep_ref' ? e.action.commit : ''))).toEqual([C, 'd'.repeat(40)]);
      // A late answer after the end is stale.
      expect(stale((await run(end.state, [committed({ purpose: 'unfinished' })], 9500)).effects)).toHaveLength(1);
    });

    it('only the team itself may send team.work_committed: a forged one is refused and recorded', async () => {
      expect(senderAllowed('t1', 'team.work_committed', 'team/t1')).toBe(true);
      for (const from of [undefined, 'api:key-1', 'agent/t1:worker-1', 'team/t2', 'system:refinery']) expect(senderAllowed('t1', 'team.work_committed', from)).toBe(false);
      const asked = (await run(await working(), [done('worker-1', 2)], 7000)).state;
      const def = teamActor({ events: {} as never, enqueueMerge: async () => undefined, lastActivity: async () => new Map(), promptsTaken: async () => new Map(), teamUsage: async () => ({ total: 0, costUsd: 0 }) });
      const effects: Array<{ type: string; payload: unknown }> = [];
      const ctx = { self: { kind: 'team', key: 't1' }, selfAddress: SELF, now: () => 8000, reply: () => undefined, effect: (type: string, payload: unknown) => String(effects.push({ type, payload })), tell: () => undefined };
      const msg = committed();
      const out = await def.receive(asked, { type: msg.type, payload: msg.payload, envelope: { id: 'x', to: SELF, type: msg.type, payload: msg.payload, sentAt: 0, from: 'api:key-1' } }, ctx as never);
      expect(out).toBe(asked);
      expect(effects).toEqual([{ type: 'team.event', payload: expect.objectContaining({ type: 'team.message_refused', data: expect.objectContaining({ type: 'team.work_committed', from: 'api:key-1' }) }) }]);
    });
  });
});
