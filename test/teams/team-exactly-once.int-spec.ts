/**
 * Exactly-once effects of a team under faults. Real: pi with the scripted model, git, Redis,
 * PostgreSQL, the refinery. Faulted: the team actor's effect executors, around every third effect
 * the first time it runs — a crash after the state committed but before the effect ran, or after
 * it ran but before the turn was acknowledged; the runtime then runs the committed outbox again
 * with the same effect ids. (test/runtime/custom-effects.int-spec.ts shows the same ids replayed
 * by another instance after a real takeover.)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CustomEffect } from '@godel/actors';
import { cancelTeam, TEAM_EFFECTS } from '@godel/orchestration';
import { effectFaults } from '../effect-fault-kit';
import { createTeamFixture, git, type TeamFixture } from './team-fixture';

/** Resets recorded in a worktree's HEAD reflog (how many times a reset really moved it). */
function resets(worktree: string): number {
  try {
    return git(worktree, 'reflog', 'show', '--format=%gs', 'HEAD').split('\n').filter((l) => l.startsWith('reset:')).length;
  } catch {
    return 0;
  }
}

/** The worktree of a git effect of kind `op` (reset_worktree, commit_work), if `e` is one. */
function worktreeOf(e: CustomEffect, op = 'reset_worktree'): string | undefined {
  const p = e.payload;
  if (typeof p !== 'object' || p === null || !('op' in p) || p.op !== op || !('worktree' in p) || typeof p.worktree !== 'string') return undefined;
  return p.worktree;
}

/**
 * Faults around the team's executors: every third first run of an effect fails before it, the next
 * after it; the commit effects (commit_work) alternate before/after from the first one. Records
 * each reset that really moved a worktree, and what each commit effect left at HEAD each time it ran.
 */
function faulty() {
  let commits = 0;
  const resetsApplied = new Map<string, number>();
  const commitHeads = new Map<string, string[]>();
  const x = effectFaults({
    at(e, n) {
      if (n > 0 && worktreeOf(e, 'commit_work')) return ++commits % 2 === 1 ? 'before' : 'after';
      return n % 3 === 1 ? 'before' : n > 0 && n % 3 === 2 ? 'after' : undefined;
    },
    async around(e, run) {
      const wt = worktreeOf(e);
      const before = wt ? resets(wt) : 0;
      await run();
      if (wt && resets(wt) > before) resetsApplied.set(e.id, (resetsApplied.get(e.id) ?? 0) + 1);
      const cw = worktreeOf(e, 'commit_work');
      if (cw) commitHeads.set(e.id, [...(commitHeads.get(e.id) ?? []), git(cw, 'rev-parse', 'HEAD')]);
    },
  });
  return { ...x, resetsApplied, commitHeads, wrapTeam: x.wrap };
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
    // A fault on one of the team's last effects is retried from the outbox with backoff, possibly
    // after team.cleaned_up is in the log: waited for (bounded), not assumed.
    for (const end = Date.now() + 30_000; x.rerunsOfFaults().some((n) => n < 2) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 250));
    expect(new Set(x.faults.map((q) => q.at))).toEqual(new Set(['before', 'after']));
    const faultedTypes = new Set(x.faults.map((q) => x.calls.find((c) => c.id === q.id)!.type));
    for (const type of [TEAM_EFFECTS.event, TEAM_EFFECTS.git]) expect(faultedTypes).toContain(type);
    for (const n of x.rerunsOfFaults()) expect(n).toBeGreaterThanOrEqual(2);

    // Every team event is in the log once: one row per event effect id, however often it ran. The
    // members' own events carry their agent effect ids (agent/...): each of those once too.
    const eventIds = new Set(x.calls.filter((c) => c.type === TEAM_EFFECTS.event).map((c) => c.id));
    const rows: Array<{ idem_key: string; type: string; n: string }> = await f.agents.env.dataSource.query(
      `SELECT idem_key, min(type) AS type, count(*) AS n FROM events WHERE team = $1 AND idem_key IS NOT NULL GROUP BY idem_key`,
      [team],
    );
    expect(new Set(rows.map((r) => r.idem_key).filter((k) => k.startsWith('team/')))).toEqual(eventIds);
    // Keyed appends come from the team's and members' effects and the refinery's one outcome per merge attempt.
    expect(rows.filter((r) => !['team/', 'agent/', 'merge-outcome/'].some((p) => r.idem_key.startsWith(p)))).toEqual([]);
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

    // Each worker's turn was committed by a commit_work effect, faulted before and after it ran: every
    // run of one effect answered the same commit (a re-run made no second one), the team took each
    // answer once (no stale or refused message), and the target has one commit per task and round,
    // made by its effect (its id in the trailer).
    const commitIds = [...new Set(x.calls.filter((c) => worktreeOf(c, 'commit_work')).map((c) => c.id))];
    expect(commitIds).toHaveLength(2);
    const commitFaults = x.faults.filter((q) => commitIds.includes(q.id));
    expect(new Set(commitFaults.map((q) => q.at))).toEqual(new Set(['before', 'after']));
    for (const q of commitFaults.filter((q) => q.at === 'after')) expect(x.commitHeads.get(q.id)!.length).toBeGreaterThanOrEqual(2);
    for (const heads of x.commitHeads.values()) expect(new Set(heads).size).toBe(1);
    expect(events.filter((e) => e.type === 'team.message_stale' || e.type === 'team.message_refused')).toEqual([]);
    expect(events.filter((e) => e.type === 'task.in_review').map((e) => e.data.task).sort()).toEqual(['add', 'mul']);
    const bodies = git(f.repo, 'log', '--format=%B%x00', 'main').split('\0');
    for (const task of ['add', 'mul']) {
      const made = bodies.filter((b) => b.includes(`Godel-Task: ${team}/${task} (round 1)`));
      expect(made).toHaveLength(1);
      expect(commitIds.some((id) => made[0].includes(`Godel-Effect: ${id}`))).toBe(true);
    }
  }, 240_000);

  it('a team cancelled mid-turn commits the unfinished work once, though its commit effect failed before and after running; the end names it', async () => {
    // The commit effect's first run fails before it, its second after it (committed, answer sent).
    const runs = new Map<string, number>();
    const heads: string[] = [];
    const x = effectFaults({
      at(e) {
        if (!worktreeOf(e, 'commit_work')) return undefined;
        const n = (runs.get(e.id) ?? 0) + 1;
        runs.set(e.id, n);
        return n === 1 ? 'before' : n === 2 ? 'after' : undefined;
      },
      async around(e, run) {
        await run();
        const wt = worktreeOf(e, 'commit_work');
        if (wt) heads.push(git(wt, 'rev-parse', 'HEAD'));
      },
    });
    f = await createTeamFixture(
      {
        plan: { tasks: [{ id: 'slow', title: 'Slow work', prompt: 'Write slow.txt.', dependsOn: [] }] },
        workers: { slow: { task: { files: { 'slow.txt': 's\n' } } } },
        // The file is written, then the turn's answer takes this long: the cancel lands in between.
        delayMs: 2500,
      },
      { wrapTeam: x.wrap },
    );
    const team = await f.run({ intent: 'slow', concurrency: 1 });
    for (const end = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > end) throw new Error('the worker wrote nothing within 60 s');
      const s = await f.team(team);
      const w = Object.values(s.members).find((m) => m.task === 'slow' && m.worktree);
      if (w && s.tasks.slow.status === 'running' && existsSync(join(w.worktree!, 'slow.txt'))) break;
    }
    const s = await cancelTeam((to, type, payload, ms) => f.agents.rt.system.ask(to, type, payload, ms), team, 'enough', 30_000);
    expect({ status: s.status, reason: s.reason, slow: s.tasks.slow.status }).toEqual({ status: 'cancelled', reason: 'enough', slow: 'cancelled' });

    // One commit effect, run three times (faulted before, then after): the same commit each time it ran.
    expect([...runs.values()]).toEqual([3]);
    expect(new Set(x.faults.map((q) => q.at))).toEqual(new Set(['before', 'after']));
    expect(heads).toHaveLength(2);
    expect(new Set(heads).size).toBe(1);
    const [effectId] = runs.keys();
    // It is kept on the failed branch: one commit over the task's base, made by that effect, with the file.
    const branch = `godel/${team}/failed/slow`;
    expect(git(f.repo, 'rev-parse', branch)).toBe(heads[0]);
    expect(git(f.repo, 'show', `${branch}:slow.txt`)).toBe('s');
    expect(git(f.repo, 'rev-list', '--count', `${s.tasks.slow.base}..${branch}`)).toBe('1');
    expect(git(f.repo, 'log', '-1', '--format=%B', branch)).toContain(`Godel-Effect: ${effectId}`);
    // The end came after the commit and names it; the answer was taken once.
    const events = await f.events(team);
    expect(events.filter((e) => e.type === 'team.cancelled')).toEqual([expect.objectContaining({ data: expect.objectContaining({ kept: [expect.objectContaining({ task: 'slow', branch })] }) })]);
    expect(events.filter((e) => e.type === 'task.work_kept').map((e) => e.data.commit)).toEqual([heads[0]]);
    expect(events.filter((e) => e.type === 'team.message_stale' || e.type === 'task.commit_failed')).toEqual([]);
  }, 180_000);
});
