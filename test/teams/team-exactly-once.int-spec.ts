/**
 * Exactly-once effects of a team under faults. Real: pi with the scripted model, git, Redis,
 * PostgreSQL, the refinery. Faulted: the team actor's effect executors, around every third effect
 * the first time it runs — a crash after the state committed but before the effect ran, or after
 * it ran but before the turn was acknowledged; the runtime then runs the committed outbox again
 * with the same effect ids. (test/runtime/custom-effects.int-spec.ts shows the same ids replayed
 * by another instance after a real takeover.)
 */
import type { ActorDefinition, CustomEffect, EffectExecutor } from '@godel/actors';
import { TEAM_EFFECTS, type TeamState } from '@godel/orchestration';
import { createTeamFixture, git, type TeamFixture } from './team-fixture';

/** Resets recorded in a worktree's HEAD reflog (how many times a reset really moved it). */
function resets(worktree: string): number {
  try {
    return git(worktree, 'reflog', 'show', '--format=%gs', 'HEAD').split('\n').filter((l) => l.startsWith('reset:')).length;
  } catch {
    return 0;
  }
}

function worktreeOf(e: CustomEffect): string | undefined {
  const p = e.payload;
  if (typeof p !== 'object' || p === null || !('op' in p) || p.op !== 'reset_worktree' || !('worktree' in p) || typeof p.worktree !== 'string') return undefined;
  return p.worktree;
}

/** Faults around the team's executors; records every call and each reset that really moved a worktree. */
function faulty() {
  const calls: CustomEffect[] = [];
  const faults: Array<{ id: string; at: 'before' | 'after' }> = [];
  const resetsApplied = new Map<string, number>();
  let first = 0;
  const wrap = (run: EffectExecutor): EffectExecutor => async (e) => {
    const fresh = !calls.some((c) => c.id === e.id);
    calls.push(e);
    const n = fresh ? ++first : 0;
    if (n % 3 === 1) {
      faults.push({ id: e.id, at: 'before' });
      throw new Error('fault: the instance died after commit, before this effect ran');
    }
    const wt = worktreeOf(e);
    const before = wt ? resets(wt) : 0;
    await run(e);
    if (wt && resets(wt) > before) resetsApplied.set(e.id, (resetsApplied.get(e.id) ?? 0) + 1);
    if (n > 0 && n % 3 === 2) {
      faults.push({ id: e.id, at: 'after' });
      throw new Error('fault: the instance died after this effect ran, before the ack');
    }
  };
  const wrapTeam = (def: ActorDefinition<TeamState>): ActorDefinition<TeamState> => ({
    ...def,
    effects: Object.fromEntries(Object.entries(def.effects ?? {}).map(([type, run]) => [type, wrap(run)])),
  });
  return { calls, faults, resetsApplied, wrapTeam };
}

describe('a team under faults between commit, effect and ack', () => {
  let f: TeamFixture;
  afterEach(async () => {
    await f?.close();
  });

  it('writes every team event exactly once and runs no git action twice; the intent still succeeds', async () => {
    const x = faulty();
    f = await createTeamFixture(
      {
        plan: {
          tasks: [
            { id: 'add', title: 'Add addition', prompt: 'Create src/add.js exporting add(a, b).', dependsOn: [] },
            { id: 'mul', title: 'Add multiplication', prompt: 'Create src/mul.js exporting mul(a, b).', dependsOn: [] },
          ],
        },
        workers: {
          add: { task: { files: { 'src/add.js': 'module.exports = (a, b) => a + b;\n' } } },
          mul: { task: { files: { 'src/mul.js': 'module.exports = (a, b) => a * b;\n' } } },
        },
        delayMs: 500,
      },
      { wrapTeam: x.wrapTeam },
    );
    const team = await f.run({ intent: 'add and mul', verify: 'node check.js', concurrency: 2 });
    const s = await f.untilDone(team);
    expect({ status: s.status, reason: s.reason }).toEqual({ status: 'succeeded', reason: undefined });
    expect(s.ledger.map((l) => [l.task, l.outcome]).sort()).toEqual([['add', 'merged'], ['mul', 'merged']]);

    // The members confirm their cleanup after the end: the last event of the team.
    for (const end = Date.now() + 60_000; !(await f.events(team)).some((e) => e.type === 'team.cleaned_up'); ) {
      if (Date.now() > end) throw new Error('no team.cleaned_up within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }

    // Faults of both kinds hit events, git work and merge jobs, and were retried with the same ids.
    expect(new Set(x.faults.map((q) => q.at))).toEqual(new Set(['before', 'after']));
    const faultedTypes = new Set(x.faults.map((q) => x.calls.find((c) => c.id === q.id)!.type));
    for (const type of [TEAM_EFFECTS.event, TEAM_EFFECTS.git]) expect(faultedTypes).toContain(type);
    for (const q of x.faults) expect(x.calls.filter((c) => c.id === q.id).length).toBeGreaterThanOrEqual(2);

    // Every team event is in the log once: one row per event effect id, however often it ran. The
    // members' own events carry their agent effect ids (agent/...): each of those once too.
    const eventIds = new Set(x.calls.filter((c) => c.type === TEAM_EFFECTS.event).map((c) => c.id));
    const rows: Array<{ idem_key: string; type: string; n: string }> = await f.agents.env.dataSource.query(
      `SELECT idem_key, min(type) AS type, count(*) AS n FROM events WHERE team = $1 AND idem_key IS NOT NULL GROUP BY idem_key`,
      [team],
    );
    expect(new Set(rows.map((r) => r.idem_key).filter((k) => k.startsWith('team/')))).toEqual(eventIds);
    expect(rows.filter((r) => !r.idem_key.startsWith('team/') && !r.idem_key.startsWith('agent/'))).toEqual([]);
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    const events = await f.events(team);
    const teamEvents = events.filter((e) => !e.type.startsWith('agent.'));
    const same = new Map<string, number>();
    for (const e of teamEvents) same.set(JSON.stringify([e.type, e.agent, e.data]), (same.get(JSON.stringify([e.type, e.agent, e.data])) ?? 0) + 1);
    expect([...same.entries()].filter(([, n]) => n > 1)).toEqual([]);
    for (const type of ['team.started', 'team.planned', 'team.succeeded', 'team.cleaned_up']) expect(events.filter((e) => e.type === type)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'task.done').map((e) => e.data.task).sort()).toEqual(['add', 'mul']);

    // No git action ran twice: each worktree reset moved its worktree once, though faults re-ran some.
    const resetIds = x.calls.filter((c) => worktreeOf(c) !== undefined).map((c) => c.id);
    expect(resetIds.length).toBeGreaterThan(new Set(resetIds).size);
    expect([...x.resetsApplied.values()].every((n) => n === 1)).toBe(true);
    // The merge queue merged each approved commit once: one merged commit per task on the target.
    const log = git(f.repo, 'log', '--format=%s', 'main');
    for (const title of ['Add addition', 'Add multiplication']) expect(log.split('\n').filter((l) => l === title)).toHaveLength(1);
  }, 240_000);
});
