import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTeamFixture, git, type TeamFixture } from './team-fixture';

const check = (name: string, expr: string) => `const assert = require('assert');\n${expr}\nmodule.exports = '${name}';\n`;

describe('a team delivers an intent (real pi, scripted model, real git, Redis, PostgreSQL)', () => {
  let f: TeamFixture;
  afterEach(async () => {
    await f?.close();
  });

  it('plans 3 tasks with a dependency, runs 2 workers in parallel, goes through one request-changes round, merges all; the target stays green', async () => {
    f = await createTeamFixture({
      plan: {
        tasks: [
          { id: 'add', title: 'Add addition', prompt: 'Create src/add.js exporting add(a, b).', dependsOn: [] },
          { id: 'mul', title: 'Add multiplication', prompt: 'Create src/mul.js exporting mul(a, b).', dependsOn: [] },
          { id: 'index', title: 'Export both', prompt: 'Create src/index.js exporting add and mul, with a check.', dependsOn: ['add', 'mul'] },
        ],
      },
      workers: {
        add: {
          task: { files: { 'src/add.js': 'module.exports = (a, b) => a + b;\n' } },
          changes: { files: { 'src/add.js': '/** Adds two numbers. */\nmodule.exports = (a, b) => a + b;\n' } },
        },
        mul: { task: { files: { 'src/mul.js': 'module.exports = (a, b) => a * b;\n' } } },
        index: {
          task: {
            files: {
              'src/index.js': "module.exports = { add: require('./add'), mul: require('./mul') };\n",
              'checks/index.check.js': check('index', "const c = require('../src');\nassert.strictEqual(c.add(2, 3), 5);\nassert.strictEqual(c.mul(2, 3), 6);"),
            },
          },
        },
      },
      reviews: { add: ['request_changes: document add() with a doc comment', 'approve'] },
      delayMs: 800,
    });
    const team = await f.run({ intent: 'add a tiny calculator library', verify: 'node check.js', concurrency: 3 });
    const s = await f.untilDone(team);
    expect({ status: s.status, reason: s.reason }).toEqual({ status: 'succeeded', reason: undefined });
    expect(Object.values(s.tasks).map((t) => [t.id, t.status])).toEqual([['add', 'done'], ['mul', 'done'], ['index', 'done']]);

    // All approved commits reached the target, and the target's verification is green.
    const tip = git(f.repo, 'rev-parse', 'main');
    for (const l of s.ledger) expect(git(f.repo, 'merge-base', '--is-ancestor', l.merged!, tip) === '' ? 'reachable' : 'not').toBe('reachable');
    expect(s.ledger.map((l) => l.outcome)).toEqual(['merged', 'merged', 'merged']);
    expect(readFileSync(join(f.repo, 'src/add.js'), 'utf8')).toContain('Adds two numbers');
    expect(execFileSync('node', ['check.js'], { cwd: f.repo, encoding: 'utf8' })).toContain('1 checks passed');

    const events = await f.events(team);
    // Every event of the intent carries its correlation id.
    expect(new Set(events.map((e) => e.correlationId))).toEqual(new Set([`intent-${team}`]));
    // add and mul were worked on at the same time by different workers: each worker had its first
    // prompt before the other task was done (turn-by-turn overlap depends on how fast a loaded box
    // starts the second pi; a task's whole life does not).
    const seqOf = (type: string, task: string) => events.find((e) => e.type === type && e.data.task === task)!.seq;
    expect(s.tasks.add.worker).not.toEqual(s.tasks.mul.worker);
    const firstPrompt = (name: string) => events.find((e) => e.agent.endsWith(`:${name}`) && e.type === 'agent.prompted')!.seq;
    expect(firstPrompt(s.tasks.mul.worker!)).toBeLessThan(seqOf('task.done', 'add'));
    expect(firstPrompt(s.tasks.add.worker!)).toBeLessThan(seqOf('task.done', 'mul'));
    // index waited for both.
    expect(seqOf('task.ready', 'index')).toBeGreaterThan(Math.max(seqOf('task.done', 'add'), seqOf('task.done', 'mul')));
    // One request-changes round went back to add's worker, then approval.
    const reviews = events.filter((e) => e.type.startsWith('review.') && e.data.task === 'add').map((e) => e.type);
    expect(reviews).toEqual(['review.started', 'review.changes_requested', 'review.started', 'review.approved']);
    expect(s.tasks.add.round).toBe(2);
    // Each task went through the whole life cycle, in order.
    const lifecycle = events.filter((e) => e.type.startsWith('task.') && e.data.task === 'mul').map((e) => e.type);
    expect(lifecycle).toEqual(['task.ready', 'task.running', 'task.in_review', 'task.merging', 'task.done']);
    expect(events.map((e) => e.type)).toContain('team.succeeded');
  }, 180_000);
});

describe('a team runs a workflow template (no coordinator)', () => {
  let f: TeamFixture;
  afterEach(async () => {
    await f?.close();
  });

  it('takes the DAG from the template; its review task asks for a fix, which becomes a task before the review runs again', async () => {
    f = await createTeamFixture({
      workers: {
        api: { task: { files: { 'api.txt': 'api\n' } } },
        docs: { task: { files: { 'docs.txt': 'docs\n' } } },
        'review-fix1': { task: { files: { 'docs.txt': 'docs, with an example\n' } } },
      },
      reviews: { review: ['request_changes: the docs need an example', 'approve'] },
    });
    const yaml = [
      'name: tiny',
      'description: two slices and a review',
      'tasks:',
      '  - id: api',
      '    title: API for {{intent}}',
      '    prompt: Write api.txt for {{intent}}',
      '  - { id: docs, title: Docs, prompt: Write docs.txt, dependsOn: [api] }',
      '  - id: review',
      '    title: Review',
      '    role: reviewer',
      '    prompt: Review {{intent}}',
      '    dependsOn: [docs]',
      '',
    ].join('\n');
    const team = await f.run({ intent: 'the widget', workflowYaml: yaml, concurrency: 2 });
    const s = await f.untilDone(team);
    expect(s.status).toBe('succeeded');
    expect(s.workflow).toBe('tiny');
    expect(s.members.coordinator).toBeUndefined();
    expect(s.tasks.api.title).toBe('API for the widget');
    expect(s.order).toEqual(['api', 'docs', 'review-fix1', 'review']);
    expect(s.tasks.review.dependsOn).toEqual(['docs', 'review-fix1']);
    expect(Object.values(s.tasks).map((t) => t.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(readFileSync(join(f.repo, 'docs.txt'), 'utf8')).toBe('docs, with an example\n');
    const events = await f.events(team);
    expect(events.find((e) => e.type === 'team.planned')?.data).toMatchObject({ source: 'workflow tiny' });
    expect(events.filter((e) => e.type.startsWith('review.') && e.data.task === 'review').map((e) => e.type)).toEqual([
      'review.started',
      'review.changes_requested',
      'review.started',
      'review.approved',
    ]);
  }, 180_000);
});
