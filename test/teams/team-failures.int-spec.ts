import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentAddress } from '@godel/agents';
import { IntentInvalidError, WorkflowValidationError, cancelTeam, prepareIntent } from '@godel/orchestration';
import { teamPlaybook } from '@godel/testing';
import { git, sleep, teamFixturePerTest, until } from './team-fixture';

describe('teams under failure (real pi, scripted model, real git)', () => {
  const fixtures = teamFixturePerTest();

  it('two workers change the same lines: the refinery finds the conflict, the task is reworked on the new target and merged; no commit is lost', async () => {
    const both = 'alpha\nbeta\n';
    const f = await fixtures.create({
      plan: {
        tasks: [
          { id: 'alpha', title: 'Alpha', prompt: 'Write shared.txt with alpha.', dependsOn: [] },
          { id: 'beta', title: 'Beta', prompt: 'Write shared.txt with beta.', dependsOn: [] },
        ],
      },
      workers: {
        alpha: { task: { files: { 'shared.txt': 'alpha\n' } }, conflict: { files: { 'shared.txt': both } } },
        beta: { task: { files: { 'shared.txt': 'beta\n' } }, conflict: { files: { 'shared.txt': both } } },
      },
      delayMs: 1000, // worker-2 must start before alpha merges (a start lagging by seconds on a loaded box made no conflict)
    });
    const team = await f.run({ intent: 'write shared.txt', concurrency: 2 });
    const s = await f.untilDone(team);
    expect(s.status).toBe('succeeded');
    const conflicts = s.ledger.filter((l) => l.outcome === 'conflict');
    expect(conflicts).toHaveLength(1);
    expect(readFileSync(join(f.repo, 'shared.txt'), 'utf8')).toBe(both);
    // No commit unreported: merged ones are reachable from main; the conflicted attempt is in the ledger
    // with its reason. Its ref was kept while the task was redone and pruned when the task ended.
    const tip = git(f.repo, 'rev-parse', 'main');
    for (const l of s.ledger) {
      if (l.outcome === 'merged') expect(() => git(f.repo, 'merge-base', '--is-ancestor', l.merged!, tip)).not.toThrow();
      else expect(l.reason).toMatch(/^conflict in shared\.txt; kept as refs\/godel\/attempts\//);
    }
    expect(git(f.repo, 'for-each-ref', '--format=%(refname)', 'refs/godel/attempts/')).toBe('');
    const events = await f.events(team);
    const conflicted = conflicts[0].task;
    expect(events.find((e) => e.type === 'merge.conflict')?.data).toMatchObject({ task: conflicted, files: ['shared.txt'] });
    expect(events.find((e) => e.type === 'task.running' && e.data.reason === 'merge conflict')?.data).toMatchObject({ task: conflicted, files: ['shared.txt'] });
    expect(s.tasks[conflicted].conflicts).toBe(1);
  }, 180_000);

  it('verification red during the merge: the task goes back to its worker with the output, is fixed and merged', async () => {
    const f = await fixtures.create({
      plan: { tasks: [{ id: 'answer', title: 'The answer', prompt: 'src/answer.js returns 42, with a check.', dependsOn: [] }] },
      workers: {
        answer: {
          task: {
            files: {
              'src/answer.js': 'module.exports = () => 41;\n',
              'checks/answer.check.js': "const assert = require('assert');\nassert.strictEqual(require('../src/answer')(), 42, 'the answer must be 42');\n",
            },
          },
          red: { files: { 'src/answer.js': 'module.exports = () => 42;\n' } },
        },
      },
    });
    const team = await f.run({ intent: 'answer', verify: 'node check.js', concurrency: 1 });
    const s = await f.untilDone(team);
    expect(s.status).toBe('succeeded');
    expect(s.ledger.map((l) => l.outcome)).toEqual(['red', 'merged']);
    expect(s.tasks.answer.verifyFailures).toBe(1);
    // The worker was told why, with the verification output.
    const redPrompt = f.agents.model.requests.map((r) => JSON.stringify(r.body)).find((b) => b.includes('kind=red'));
    expect(redPrompt).toContain('the answer must be 42');
    expect(execFileSync('node', ['check.js'], { cwd: f.repo, encoding: 'utf8' })).toContain('1 checks passed');
    const events = await f.events(team);
    expect(events.filter((e) => e.type === 'merge.verify_finished').map((e) => e.data.ok)).toEqual([false, true]);
  }, 180_000);

  it("a worker's pi is SIGKILLed mid-task: restarted on its session; killed again past the restart intensity: the task goes to a fresh worker and is finished", async () => {
    const f = await fixtures.create(
      {
        plan: { tasks: [{ id: 'slow', title: 'Slow work', prompt: 'Write slow.txt.', dependsOn: [] }] },
        workers: { slow: { task: { files: { 'slow.txt': 'done\n' } } } },
        delayMs: 1500,
      },
      { agent: { maxRestarts: 1, restartWindowMs: 60_000 } },
    );
    const team = await f.run({ intent: 'slow work', concurrency: 1 });
    const firstWorker = await until('the task to run', async () => {
      const t = (await f.team(team)).tasks.slow;
      return t?.status === 'running' ? t.worker : undefined;
    });
    const first = agentAddress(team, firstWorker!);
    // The first worker may be the coordinator, whose process restarts with a worker's tools first.
    const pid1 = await until('its process to run the task', async () => ((await f.agents.get(first)).status === 'running' ? f.agents.host.get(first)?.pid : undefined));
    await sleep(400);
    process.kill(pid1, 'SIGKILL');
    // Restarted on its session (same worker), noticed by the team's monitor as an event.
    await until('a restart', async () => ((await f.events(team)).some((e) => e.type === 'monitor.restarted') ? true : undefined));
    const pid2 = await until('the new process', async () => {
      const p = f.agents.host.get(first)?.pid;
      return p && p !== pid1 ? p : undefined;
    });
    await sleep(300);
    process.kill(pid2, 'SIGKILL');
    const s = await f.untilDone(team);
    expect(s.status).toBe('succeeded');
    expect(s.tasks.slow.worker).not.toBe(firstWorker);
    expect(s.tasks.slow.assignments).toBe(2);
    const types = (await f.events(team)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['monitor.restarted', 'monitor.reassigned', 'task.done']));
    expect((await f.agent(team, firstWorker!)).status).toBe('failed');
    expect(readFileSync(join(f.repo, 'slow.txt'), 'utf8')).toBe('done\n');
  }, 180_000);

  it('a worker that makes no progress is restarted by the monitor on its session and finishes; a spent team budget fails the team visibly', async () => {
    let hung = 0;
    const book = teamPlaybook({ plan: { tasks: [{ id: 'hang', title: 'Hang', prompt: 'Write hang.txt.', dependsOn: [] }] }, workers: { hang: { task: { files: { 'hang.txt': 'ok\n' } } } } });
    let f = await fixtures.create(
      {},
      {
        // The first model call of the task never answers in time (a hung provider); later calls do.
        play: (r) => {
          const last = JSON.stringify(r.body.messages.at(-1) ?? {});
          if (last.includes('kind=task') && hung++ === 0) return { text: 'too late', delayMs: 60_000 };
          return book(r);
        },
      },
    );
    const team = await f.run({ intent: 'hang', concurrency: 1, settings: { stuckMs: 2500, monitorMs: 500 } });
    const s = await f.untilDone(team, 90_000);
    expect(s.status).toBe('succeeded');
    const events = await f.events(team);
    const stuck = events.find((e) => e.type === 'monitor.stuck' && e.data.task === 'hang');
    expect(stuck?.data).toMatchObject({ task: 'hang', action: 'restart' });
    expect(events.some((e) => e.type === 'agent.restarted' && e.agent === stuck!.agent)).toBe(true);
    await f.close();

    // A team budget smaller than one answer: the agent stops, the team fails and says why.
    f = await fixtures.create({
      plan: { tasks: [{ id: 'pricey', title: 'Pricey', prompt: 'Write pricey.txt.', dependsOn: [] }] },
      workers: { pricey: { task: { files: { 'pricey.txt': 'x\n' } } } },
      usage: { promptTokens: 5000, completionTokens: 1000 },
    });
    const poor = await f.run({ intent: 'pricey', concurrency: 1, budget: { tokens: 3000 } });
    const p = await f.untilDone(poor);
    expect(p.status).toBe('failed');
    expect(p.reason).toMatch(/^budget\.exceeded/);
    expect((await f.events(poor)).map((e) => e.type)).toEqual(expect.arrayContaining(['budget.exceeded', 'team.failed']));
  }, 180_000);

  it('cancelling a team mid-work stops its agents and its queued merges; whatever was approved is reported', async () => {
    const f = await fixtures.create({
      plan: {
        tasks: [
          { id: 'quick', title: 'Quick', prompt: 'Write quick.txt.', dependsOn: [] },
          { id: 'slow', title: 'Slow', prompt: 'Write slow.txt.', dependsOn: [] },
        ],
      },
      workers: { quick: { task: { files: { 'quick.txt': 'q\n' } } }, slow: { task: { files: { 'slow.txt': 's\n' } } } },
      delayMs: 1200,
    });
    const team = await f.run({ intent: 'cancel me', concurrency: 2 });
    await until('a task to run', async () => (Object.values((await f.team(team)).tasks).some((t) => t.status === 'running') ? true : undefined));
    // The team ends once the running tasks' work is committed (a round trip): cancelTeam waits for it.
    const cancelled = await cancelTeam((to, type, payload, ms) => f.agents.rt.system.ask(to, type, payload, ms), team, 'changed my mind', 30_000);
    expect(cancelled.status).toBe('cancelled');
    await sleep(3000); // anything still in flight lands or is dropped
    const s = await f.team(team);
    expect({ status: s.status, reason: s.reason }).toEqual({ status: 'cancelled', reason: 'changed my mind' });
    expect(Object.values(s.tasks).every((t) => ['cancelled', 'done'].includes(t.status))).toBe(true);
    for (const m of Object.values(s.members)) expect([m.name, (await f.agent(team, m.name)).status]).toEqual([m.name, 'stopped']);
    const tip = git(f.repo, 'rev-parse', 'main');
    for (const l of s.ledger) {
      if (l.outcome === 'merged') expect(() => git(f.repo, 'merge-base', '--is-ancestor', l.merged!, tip)).not.toThrow();
      else expect(l.reason).toBeTruthy();
    }
    // Nothing moves after the end.
    const events = await f.events(team);
    const end = events.find((x) => x.type === 'team.cancelled')!.seq;
    expect(events.filter((e) => e.type.startsWith('task.') && e.seq > end)).toEqual([]);
  }, 120_000);

  it('bad input is refused before anything starts: not a repository, empty intent, invalid workflow, zero budget, unknown branch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'godel-bad-'));
    try {
      const providers = [{ provider: 'p', model: 'm' }];
      const repo = join(dir, 'repo');
      execFileSync('git', ['init', '-q', '-b', 'main', repo]);
      execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init']);
      await expect(prepareIntent({ intent: 'x', repo: dir }, providers)).rejects.toThrow(/is not a git repository/);
      await expect(prepareIntent({ intent: 'x', repo: join(dir, 'missing') }, providers)).rejects.toThrow(/is not a directory/);
      await expect(prepareIntent({ intent: '   ', repo }, providers)).rejects.toBeInstanceOf(IntentInvalidError);
      await expect(prepareIntent({ intent: 'x', repo, budget: { costUsd: 0 } }, providers)).rejects.toThrow(/budget must be more than zero/);
      await expect(prepareIntent({ intent: 'x', repo, target: 'nope' }, providers)).rejects.toThrow(/has no branch "nope"/);
      await expect(prepareIntent({ intent: 'x', repo, concurrency: 0 }, providers)).rejects.toThrow(/concurrency/);
      const wf = join(dir, 'bad.yaml');
      await writeFile(wf, 'name: bad\ndescription: d\ntasks:\n  - id: a\n    title: A\n    prompt: p\n    dependsOn: [ghost]\n');
      const err = await prepareIntent({ intent: 'x', repo, workflow: wf }, providers).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowValidationError);
      expect((err as WorkflowValidationError).issues[0]).toMatchObject({ file: wf, line: 7, field: 'tasks[0].dependsOn' });
      await expect(prepareIntent({ intent: 'x', repo, workflow: 'no-such-workflow' }, providers)).rejects.toThrow(/unknown workflow/);
      // Nothing was created: no worktrees, no branches beyond main.
      expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
      expect(git(repo, 'branch', '--format=%(refname:short)')).toBe('main');
      expect(await readdir(dir)).toEqual(['bad.yaml', 'repo']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
