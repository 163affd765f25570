/**
 * Issue 9: a team reports what really happened with a model that follows prompts literally.
 * Real: `pi` processes, git, Redis, PostgreSQL, the refinery (BullMQ + redlock). The model is the
 * scripted OpenAI-compatible server playing a team playbook. Mocked: nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentAddress } from '@godel/agents';
import { IntentInvalidError, prepareIntent } from '@godel/orchestration';
import { messageText, type RecordedRequest } from '@godel/testing';
import { CHECKED_REPO, git, sleep, teamFixturePerTest, until } from './team-fixture';

/** A verification that runs every check (a failing one does not hide the others) and names each failure. */
const CHECK_ALL = [
  "const fs = require('fs'); const path = require('path');",
  "const dir = path.join(__dirname, 'checks');",
  "const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort() : [];",
  'let failed = 0;',
  "for (const f of files) { try { require(path.join(dir, f)); console.log('ok ' + f); } catch (e) { failed++; console.log('FAIL ' + f + ': ' + e.message); } }",
  "console.log(files.length - failed + ' checks passed');",
  'process.exit(failed ? 1 : 0);',
  '',
].join('\n');

/** The user messages of a recorded request (what the agent's conversation holds). */
const userTexts = (r: RecordedRequest) => (r.body?.messages ?? []).filter((m) => m.role === 'user').map((m) => messageText(m));

/** Nothing of the team is left in the repository: one worktree (the checkout), no godel/* branches of merged work, no attempt refs. */
function leftovers(repo: string): { worktrees: number; branches: string[]; attempts: string[] } {
  return {
    worktrees: git(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length,
    branches: git(repo, 'branch', '--list', 'godel/*', '--format=%(refname:short)').split('\n').filter(Boolean),
    attempts: git(repo, 'for-each-ref', '--format=%(refname)', 'refs/godel/').split('\n').filter(Boolean),
  };
}

describe('issue 9: no success without work, a true baseline, budgets that hold, a tidy repository', () => {
  const fixtures = teamFixturePerTest();

  it('workers that answer with text only: told once that no change was found, then task.no_changes; the team fails, the target is unchanged, nothing is left behind', async () => {
    const f = await fixtures.create({
      plan: {
        tasks: [
          { id: 'alpha', title: 'Alpha', prompt: 'Write alpha.txt.', dependsOn: [] },
          { id: 'beta', title: 'Beta', prompt: 'Write beta.txt.', dependsOn: [] },
        ],
      },
      // A model that only talks: no file is written, not even after being told.
      workers: { alpha: { task: { text: 'I wrote alpha.txt.' }, nochange: { text: 'It is done.' } }, beta: { task: { text: 'beta.txt is written.' } } },
      delayMs: 100,
    });
    const before = git(f.repo, 'rev-parse', 'main');
    const team = await f.run({ intent: 'write two files', verify: 'node check.js', concurrency: 2 });
    const s = await f.untilDone(team);
    expect(s.status).toBe('failed');
    expect(Object.values(s.tasks).map((t) => [t.id, t.status, t.reason?.split(':')[0]])).toEqual([
      ['alpha', 'failed', 'task.no_changes'],
      ['beta', 'failed', 'task.no_changes'],
    ]);
    expect(s.reason).toMatch(/tasks not done/);
    expect(git(f.repo, 'rev-parse', 'main')).toBe(before);
    const events = await f.events(team);
    const noChanges = events.filter((e) => e.type === 'task.no_changes').map((e) => [e.data.task, e.data.action]);
    expect(noChanges.sort()).toEqual([
      ['alpha', 'failed'],
      ['alpha', 'told the worker'],
      ['beta', 'failed'],
      ['beta', 'told the worker'],
    ]);
    expect(events.some((e) => e.type === 'task.done')).toBe(false);
    expect(events.map((e) => e.type)).toContain('team.failed');
    // The worker was told, in words, once per task.
    const told = f.agents.model.requests.filter((r) => userTexts(r).some((t) => /no change was found in your worktree/i.test(t) && t.includes('kind=nochange')));
    expect(told.length).toBeGreaterThan(0);
    // Every worker's first prompt named the verification command and asked to run it.
    const firstPrompts = f.agents.model.requests.map((r) => userTexts(r)[0] ?? '').filter((t) => t.includes('role=worker') && t.includes('kind=task'));
    expect(firstPrompts.length).toBeGreaterThan(0);
    for (const p of firstPrompts) expect(p).toContain('run the verification command `node check.js`');
    // The coordinator's conversation never holds a worker's prompt.
    const coordinator = f.agents.model.requests.filter((r) => (userTexts(r)[0] ?? '').includes('role=coordinator'));
    expect(coordinator.length).toBeGreaterThan(0);
    for (const r of coordinator) expect(userTexts(r).filter((t) => t.includes('role=worker'))).toEqual([]);
    expect(s.members.coordinator.task).toBeUndefined();
    // The team's end removed its worktrees and branches.
    await until('the cleanup', async () => ((await f.events(team)).some((e) => e.type === 'team.cleaned_up') ? true : undefined));
    expect(leftovers(f.repo)).toEqual({ worktrees: 1, branches: [], attempts: [] });
  }, 180_000);

  it("a worker's pi is killed mid-task and the resumed session answers with text only: it is told no change was found, then really writes; the file is on main", async () => {
    const f = await fixtures.create({
      plan: { tasks: [{ id: 'slow', title: 'Slow work', prompt: 'Write slow.txt.', dependsOn: [] }] },
      // Its first step is a slow command; the process is killed during it (the prompt and the tool call are in its session).
      workers: { slow: { task: { run: ['sleep 8'], files: { 'slow.txt': 'first try\n' } }, resume: { text: 'I already finished slow.txt.' }, nochange: { files: { 'slow.txt': 'done\n' } } } },
      delayMs: 200,
    });
    const team = await f.run({ intent: 'slow work', concurrency: 1 });
    const worker = await until('the task to run', async () => {
      const t = (await f.team(team)).tasks.slow;
      return t?.status === 'running' ? t.worker : undefined;
    });
    const address = agentAddress(team, worker!);
    await until('the slow command', async () => ((await f.events(team)).some((e) => e.type === 'agent.tool_started' && e.agent === address && e.data.tool === 'bash') ? true : undefined));
    await sleep(500);
    process.kill(f.agents.host.get(address)!.pid, 'SIGKILL');
    const s = await f.untilDone(team);
    const events = await f.events(team);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['monitor.restarted', 'task.no_changes']));
    expect(events.find((e) => e.type === 'task.no_changes')?.data).toMatchObject({ task: 'slow', action: 'told the worker' });
    // The resumed session was asked to continue and answered with text only.
    expect(f.agents.model.requests.some((r) => userTexts(r).some((t) => t.includes('Continue the task from where you left off')))).toBe(true);
    expect(s.status).toBe('succeeded');
    expect(readFileSync(join(f.repo, 'slow.txt'), 'utf8')).toBe('done\n');
    expect(s.ledger.map((l) => l.outcome)).toEqual(['merged']);
  }, 180_000);

  it("a red baseline: the coordinator is told and must plan a fix; a task whose merge shows only the baseline's failures is not sent back", async () => {
    const legacyCheck = "const assert = require('assert');\nassert.strictEqual(require('../src/legacy')(), 'fixed', 'legacy must say fixed');\n";
    const f = await fixtures.create(
      {
        plans: [
          // First answer ignores the red target: refused, asked again.
          { tasks: [{ id: 'feature', title: 'Feature', prompt: 'Write src/feature.js with a check.', dependsOn: [] }] },
          {
            tasks: [
              // After the feature: the feature's merge is verified while the target is still red
              // (in parallel, the fix merged first under load now and then, and nothing was excused).
              { id: 'fix-legacy', title: 'Fix legacy', prompt: 'Make src/legacy.js return "fixed".', dependsOn: ['feature'], fixesBaseline: true },
              { id: 'feature', title: 'Feature', prompt: 'Write src/feature.js with a check.', dependsOn: [] },
            ],
          },
        ],
        workers: {
          'fix-legacy': { task: { files: { 'src/legacy.js': "module.exports = () => 'fixed';\n" } }, changes: { files: { 'src/legacy.js': "/** Says fixed. */\nmodule.exports = () => 'fixed';\n" } } },
          feature: { task: { files: { 'src/feature.js': 'module.exports = () => 1;\n', 'checks/feature.check.js': "require('assert').strictEqual(require('../src/feature')(), 1);\n" } } },
        },
        reviews: { 'fix-legacy': ['request_changes: add a doc comment', 'approve'] },
        delayMs: 400,
      },
      { repoFiles: { ...CHECKED_REPO, 'check.js': CHECK_ALL, 'src/legacy.js': "module.exports = () => 'broken';\n", 'checks/legacy.check.js': legacyCheck } },
    );
    const team = await f.run({ intent: 'add a feature', verify: 'node check.js', concurrency: 2 });
    const s = await f.untilDone(team);
    const events = await f.events(team);
    expect(events.find((e) => e.type === 'baseline.finished')?.data).toMatchObject({ ok: false });
    expect(events.find((e) => e.type === 'plan.rejected')?.data.problems).toEqual([expect.stringContaining('fixesBaseline')]);
    // The coordinator's planning prompt carried the failure.
    const planPrompt = f.agents.model.requests.map((r) => userTexts(r)[0] ?? '').find((t) => t.includes('kind=plan'));
    expect(planPrompt).toContain('legacy must say fixed');
    expect(s.status).toBe('succeeded');
    expect(s.tasks['fix-legacy'].fixesBaseline).toBe(true);
    // The innocent task was never sent back with the baseline's failure, and merged with it excused.
    expect(s.tasks.feature.verifyFailures).toBe(0);
    expect(events.filter((e) => e.type === 'task.running' && e.data.task === 'feature' && e.data.reason === 'verification failed')).toEqual([]);
    expect(events.find((e) => e.type === 'task.done' && e.data.task === 'feature')?.data.redAsBaseline).toEqual(expect.arrayContaining([expect.stringContaining('legacy must say fixed')]));
    // Its first prompt said the failures were not its to fix.
    const featurePrompt = f.agents.model.requests.map((r) => userTexts(r).find((t) => t.includes('task=feature') && t.includes('kind=task'))).find(Boolean);
    expect(featurePrompt).toContain('already fails on the target before your change');
    expect(execFileSync('node', ['check.js'], { cwd: f.repo, encoding: 'utf8' })).toContain('2 checks passed');
  }, 180_000);

  it('a workflow (no coordinator) on a red target: a fix-baseline task goes first and every task waits for it', async () => {
    const legacyCheck = "require('assert').strictEqual(require('../src/legacy')(), 'fixed', 'legacy must say fixed');\n";
    const f = await fixtures.create(
      {
        workers: {
          'fix-baseline': { task: { files: { 'src/legacy.js': "module.exports = () => 'fixed';\n" } } },
          feature: { task: { files: { 'src/feature.js': 'module.exports = 1;\n' } } },
        },
      },
      { repoFiles: { ...CHECKED_REPO, 'check.js': CHECK_ALL, 'src/legacy.js': "module.exports = () => 'broken';\n", 'checks/legacy.check.js': legacyCheck } },
    );
    const workflowYaml = 'name: one\ndescription: one task\ntasks:\n  - id: feature\n    title: Feature\n    prompt: Write src/feature.js.\n';
    const team = await f.run({ intent: 'a feature', verify: 'node check.js', concurrency: 1, workflowYaml });
    const s = await f.untilDone(team);
    expect(s.status).toBe('succeeded');
    expect(s.order).toEqual(['fix-baseline', 'feature']);
    expect(s.tasks.feature.dependsOn).toEqual(['fix-baseline']);
    expect(s.tasks['fix-baseline'].prompt).toContain('legacy must say fixed');
    const events = await f.events(team);
    const seq = (type: string, task: string) => events.find((e) => e.type === type && e.data.task === task)!.seq;
    expect(seq('task.running', 'feature')).toBeGreaterThan(seq('task.done', 'fix-baseline'));
    expect(execFileSync('node', ['check.js'], { cwd: f.repo, encoding: 'utf8' })).toContain('1 checks passed');
  }, 180_000);

  it('--allow-red-base: no fix task is required; a change that adds no failure merges, one that adds a failure is sent back', async () => {
    const legacyCheck = "require('assert').strictEqual(require('../src/legacy')(), 'fixed', 'legacy must say fixed');\n";
    const f = await fixtures.create(
      {
        plan: { tasks: [{ id: 'feature', title: 'Feature', prompt: 'Write src/feature.js with a check.', dependsOn: [] }] },
        workers: {
          feature: {
            // First try breaks a check of its own (a new failure: charged to it); the fix merges over the old failure.
            task: { files: { 'src/feature.js': 'module.exports = () => 0;\n', 'checks/a-feature.check.js': "require('assert').strictEqual(require('../src/feature')(), 1, 'feature must be 1');\n" } },
            red: { files: { 'src/feature.js': 'module.exports = () => 1;\n' } },
          },
        },
      },
      { repoFiles: { ...CHECKED_REPO, 'check.js': CHECK_ALL, 'src/legacy.js': "module.exports = () => 'broken';\n", 'checks/legacy.check.js': legacyCheck } },
    );
    const team = await f.run({ intent: 'add a feature', verify: 'node check.js', concurrency: 1, allowRedBase: true });
    const s = await f.untilDone(team);
    expect(s.status).toBe('succeeded');
    expect(Object.keys(s.tasks)).toEqual(['feature']);
    expect(s.ledger.map((l) => l.outcome)).toEqual(['red', 'merged']);
    const events = await f.events(team);
    expect(events.find((e) => e.type === 'merge.red')?.data.failures).toEqual(expect.arrayContaining([expect.stringContaining('feature must be 1')]));
    expect(events.find((e) => e.type === 'task.done')?.data.redAsBaseline).toEqual(expect.arrayContaining([expect.stringContaining('legacy must say fixed')]));
    expect(git(f.repo, 'show', 'main:src/feature.js')).toBe('module.exports = () => 1;');
  }, 180_000);

  it('a token budget is enforced during a turn from the streamed usage: the overshoot is at most one model response, measured', async () => {
    const response = { promptTokens: 1000, completionTokens: 200 };
    const f = await fixtures.create({
      plan: { tasks: [{ id: 'big', title: 'Big', prompt: 'Write big.txt.', dependsOn: [] }] },
      workers: { big: { task: { files: { 'big.txt': 'x\n' } } } },
      // Told to run the verification, the literal model does: 3 responses in the worker's turn.
      literal: true,
      usage: response,
      delayMs: 300,
    });
    const budget = 3000;
    const team = await f.run({ intent: 'big', verify: 'node check.js', concurrency: 1, budget: { tokens: budget } });
    const s = await f.untilDone(team);
    expect(s.status).toBe('failed');
    expect(s.reason).toMatch(/^budget\.exceeded/);
    const events = await f.events(team);
    const hit = events.find((e) => e.type === 'budget.exceeded')!;
    expect(hit.data).toMatchObject({ midTurn: true, scope: 'team' });
    const one = response.promptTokens + response.completionTokens;
    const overshoot = (hit.data.overshoot as { tokens: number }).tokens;
    expect(overshoot).toBeGreaterThan(0);
    expect(overshoot).toBeLessThanOrEqual(one);
    expect(hit.data.lastResponseTokens).toBe(one);
    expect(s.usage!.total - budget).toBeLessThanOrEqual(one);
    // The turn stopped there: the worker's third response (after running the verification) never came.
    const workerCalls = f.agents.model.requests.filter((r) => (userTexts(r)[0] ?? '').includes('task=big') && r.status === 200);
    expect(workerCalls.length).toBeLessThan(3);
    expect(events.some((e) => e.type === 'task.done')).toBe(false);
    // The unfinished work is kept on a branch (keep-failed policy), named in the team's end; the rest is removed.
    const branch = `godel/${team}/failed/big`;
    expect(git(f.repo, 'show', `${branch}:big.txt`)).toBe('x');
    const cleaned = await until('the cleanup', async () => (await f.events(team)).find((e) => e.type === 'team.cleaned_up'));
    expect(cleaned.data.kept).toEqual([expect.objectContaining({ task: 'big', branch })]);
    expect(leftovers(f.repo)).toEqual({ worktrees: 1, branches: [branch], attempts: [] });
  }, 180_000);

  it('a dollar budget holds during a turn too, from the streamed cost of each response', async () => {
    const response = { promptTokens: 1000, completionTokens: 200 };
    const f = await fixtures.create({
      plan: { tasks: [{ id: 'paid', title: 'Paid', prompt: 'Write paid.txt.', dependsOn: [] }] },
      workers: { paid: { task: { files: { 'paid.txt': 'x\n' } } } },
      literal: true,
      usage: response,
      delayMs: 300,
    });
    // $1 per million input tokens, $5 per million output tokens: $0.002 per response.
    for (const p of f.agents.providers) p.cost = { input: 1, output: 5 };
    const one = (response.promptTokens * 1 + response.completionTokens * 5) / 1e6;
    const budget = 0.005;
    const team = await f.run({ intent: 'paid', verify: 'node check.js', concurrency: 1, budget: { costUsd: budget } });
    const s = await f.untilDone(team);
    expect(s.status).toBe('failed');
    const hit = (await f.events(team)).find((e) => e.type === 'budget.exceeded')!;
    expect(hit.data).toMatchObject({ midTurn: true, scope: 'team' });
    const over = (hit.data.overshoot as { costUsd: number }).costUsd;
    expect(over).toBeGreaterThan(0);
    expect(over).toBeLessThanOrEqual(one + 1e-9);
    expect(s.usage!.costUsd - budget).toBeLessThanOrEqual(one + 1e-9);
  }, 180_000);

  it('a dollar budget over a provider without a price is refused before anything starts, naming the provider', async () => {
    const providers = [
      { provider: 'priced', model: 'm', cost: { input: 1, output: 2 } },
      { provider: 'free-lunch', model: 'x' },
    ];
    const err = await prepareIntent({ intent: 'x', repo: process.cwd(), budget: { costUsd: 0.0001 } }, providers).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntentInvalidError);
    expect((err as Error).message).toContain('free-lunch/x');
    // A token budget needs no price; a priced chain takes a dollar budget.
    await expect(prepareIntent({ intent: 'x', repo: process.cwd(), budget: { tokens: 5000 } }, providers)).resolves.toBeDefined();
    await expect(prepareIntent({ intent: 'x', repo: process.cwd(), budget: { costUsd: 1 } }, [providers[0]])).resolves.toBeDefined();
  });
});
