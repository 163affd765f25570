import type { AgentUpdate } from '@godel/agents';
import type { TeamMessage } from './messages';
import { reduceTeam } from './reducer';
import { initialTeamState, type TeamState } from './team-state';
import type { TeamEffect, TeamReads } from './turn';

const TIP = 'a'.repeat(40);
const SELF = 'team/t1';

/** Reads of a repository whose target sits at TIP; nothing here changes anything. */
function reads(activity = new Map<string, number>()): TeamReads {
  return {
    tip: async () => TIP,
    diff: async () => ({ diff: '+x', truncated: false, files: ['x'] }),
    sameTree: async (_c, a, b) => a === b,
    refsUnder: async () => [],
    commitAll: async () => 'c'.repeat(40),
    lastActivity: async () => activity,
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
    const quiet = await run(s, [{ type: 'reminder', payload: {} }], 6500, reads(new Map([['agent/t1:worker-1', 6400]])));
    expect(kinds(quiet.effects)).toEqual(['reminder']);
    const stuck = await run(s, [{ type: 'reminder', payload: {} }], 8000, reads(new Map([['agent/t1:worker-1', 6400]])));
    expect(kinds(stuck.effects)).toEqual(['event monitor.stuck', 'tell agent/t1:worker-1 agent.restart', 'reminder']);
    expect(stuck.state.members['worker-1'].busySince).toBe(8000);
  });
});
