/**
 * Issue 9 through `godel do` as a new user runs it on a repository of their own: the compiled CLI
 * (`npm run build` first) as a child process that starts its local server against the machine's
 * Redis and PostgreSQL (REDIS_URL / DATABASE_URL), real `pi`, real git, and the scripted model
 * playing a model that follows prompts literally (a playbook, or GODEL_PROVIDERS pointing at scripted
 * servers this test runs). Mocked: nothing. Every child is bounded in time and killed if it overruns.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@godel/config';
import { createSampleRepo, startScriptedModel, teamPlaybook, type ScriptedModel, type TeamPlaybook } from '@godel/testing';
import { Client } from 'pg';
import { closedPort, killCliRuns, requireBuiltCli, runCli as run } from './cli-kit';

const base = loadConfig();
const REDIS_URL = base.redisUrl ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = base.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A test runner that names each failing check (as real ones do). */
const CHECK_JS = [
  "const fs = require('fs'); const path = require('path');",
  "const dir = path.join(__dirname, 'checks');",
  "const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort() : [];",
  'let failed = 0;',
  'for (const f of files) {',
  "  try { require(path.join(dir, f)); console.log('ok ' + f); } catch (e) { failed++; console.log('FAIL ' + f + ': ' + e.message); }",
  '}',
  "console.log(files.length - failed + ' of ' + files.length + ' checks passed');",
  'process.exit(failed ? 1 : 0);',
  '',
].join('\n');

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

function leftovers(repo: string): { worktrees: number; branches: string[]; attempts: string[] } {
  return {
    worktrees: git(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length,
    branches: git(repo, 'branch', '--list', 'godel/*', '--format=%(refname:short)').split('\n').filter(Boolean),
    attempts: git(repo, 'for-each-ref', '--format=%(refname)', 'refs/godel/').split('\n').filter(Boolean),
  };
}

describe('godel do tells the truth (compiled CLI, local server, real pi, real git, scripted literal model)', () => {
  let dir: string;
  const tags: string[] = [];
  const services = () => {
    const tag = `do9${Date.now().toString(36)}${tags.length}`;
    tags.push(tag);
    return { REDIS_URL, DATABASE_URL, GODEL_KEY_PREFIX: tag, GODEL_DB_SCHEMA: tag, GODEL_HOME: join(dir, 'home') };
  };

  beforeAll(async () => {
    requireBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'godel-do9-'));
  });

  afterAll(async () => {
    killCliRuns();
    const pg = new Client({ connectionString: DATABASE_URL });
    await pg.connect();
    for (const tag of tags) await pg.query(`DROP SCHEMA IF EXISTS "${tag}" CASCADE`);
    await pg.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('workers that change nothing → exit 1, target unchanged, task.no_changes; three one-shot runs leave no worktrees, godel/* branches or attempt refs; the printed hint works after the run', async () => {
    const repo = await createSampleRepo(join(dir, 'own'), { 'README.md': '# mine\n', 'check.js': CHECK_JS });
    const book = (tasks: Array<{ id: string; file?: string }>): TeamPlaybook => ({
      plan: { tasks: tasks.map((t) => ({ id: t.id, title: `Task ${t.id}`, prompt: `Write ${t.file ?? 'something'}.`, dependsOn: [] })) },
      workers: Object.fromEntries(tasks.map((t) => [t.id, t.file ? { task: { files: { [t.file]: `${t.id}\n` } } } : { task: { text: `I wrote it.` }, nochange: { text: 'It is done.' } }])),
      literal: true,
    });
    const write = async (name: string, b: TeamPlaybook) => {
      const file = join(dir, name);
      await writeFile(file, JSON.stringify(b));
      return file;
    };
    const before = git(repo, 'rev-parse', 'main');
    const idle = await run(['do', 'write the notes', '--repo', repo, '--playbook', await write('idle.json', book([{ id: 'notes' }])), '--verify', 'node check.js', '--concurrency', '1'], services(), 150_000);
    if (idle.code !== 1) console.log(`godel do (idle) exited ${idle.code}:\n${idle.stderr}\n${idle.stdout}`);
    expect(idle.code).toBe(1);
    expect(git(repo, 'rev-parse', 'main')).toBe(before);
    expect(idle.stdout).toMatch(/task notes: .*left no change in its worktree; told once/);
    expect(idle.stdout).toContain('task.no_changes');
    expect(idle.stdout).toMatch(/✗ failed: 0 commits merged/);
    expect(idle.stdout).not.toMatch(/✓/);
    // The hint is a command that works after the run (the local server is gone).
    const hint = /see what happened: (godel events replay --team \S+)/.exec(idle.stdout);
    expect(hint).not.toBeNull();
    const replay = await run(hint![1].split(' ').slice(1), { GODEL_HOME: join(dir, 'home') }, 20_000);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('task.no_changes');
    expect(replay.stdout).toContain('team.failed');

    for (const [i, file] of ['a.txt', 'b.txt'].entries()) {
      const ok = await run(['do', `write ${file}`, '--repo', repo, '--playbook', await write(`w${i}.json`, book([{ id: `w${i}`, file }])), '--verify', 'node check.js', '--concurrency', '1'], services(), 150_000);
      if (ok.code !== 0) console.log(`godel do (${file}) exited ${ok.code}:\n${ok.stderr}\n${ok.stdout}`);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/✓ succeeded: 1 commit merged/);
      expect(ok.stdout).toMatch(/cleaned up: \d+ worktrees and their branches removed/);
      expect(git(repo, 'show', `main:${file}`)).toBe(`w${i}`);
    }
    expect(leftovers(repo)).toEqual({ worktrees: 1, branches: [], attempts: [] });
  }, 480_000);

  it('bad input and a dollar budget over an unpriced provider are refused (exit 2) before any service starts', async () => {
    const repo = await createSampleRepo(join(dir, 'budget'), { 'README.md': '# b\n' });
    // Services that cannot be reached: had the command tried to start anything, it would exit 3.
    const nowhere = { REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/x`, GODEL_HOME: join(dir, 'home2') };
    const unpriced = await run(['do', 'x', '--repo', repo, '--budget-usd', '0.0001'], { ...nowhere, GODEL_PROVIDERS: JSON.stringify([{ provider: 'local', model: 'm1', baseUrl: 'http://127.0.0.1:9/v1' }]) }, 20_000);
    expect(unpriced.code).toBe(2);
    expect(unpriced.stderr).toContain('local/m1');
    expect(unpriced.stderr).not.toMatch(/Redis:|PostgreSQL:|Starting a local Godel server/);
    const offline = await run(['do', 'x', '--repo', repo, '--budget-usd', '1'], nowhere, 20_000);
    expect(offline.code).toBe(2);
    expect(offline.stderr).toContain('scripted/scripted');
    const notRepo = await run(['do', 'x', '--repo', dir], nowhere, 20_000);
    expect(notRepo.code).toBe(2);
    expect(notRepo.stderr).toContain('is not a git repository');
    expect(notRepo.stderr).not.toMatch(/Redis:|PostgreSQL:/);
  }, 90_000);

  it('progress shows a provider failover (from → to, cause) and the failing check of a red verification', async () => {
    const repo = await createSampleRepo(join(dir, 'red'), { 'README.md': '# r\n', 'check.js': CHECK_JS });
    const flaky: ScriptedModel = await startScriptedModel({ script: () => ({ error: { status: 503, message: 'upstream overloaded' } }) });
    const steady: ScriptedModel = await startScriptedModel({
      script: teamPlaybook({
        plan: { tasks: [{ id: 'answer', title: 'The answer', prompt: 'src/answer.js returns 42, with a check.', dependsOn: [] }] },
        workers: {
          answer: {
            task: { files: { 'src/answer.js': 'module.exports = () => 41;\n', 'checks/answer.check.js': "require('assert').strictEqual(require('../src/answer')(), 42, 'the answer must be 42');\n" } },
            red: { files: { 'src/answer.js': 'module.exports = () => 42;\n' } },
          },
        },
      }),
    });
    try {
      const providers = [
        { provider: 'flaky', model: 'm1', baseUrl: flaky.url },
        { provider: 'steady', model: 'm2', baseUrl: steady.url },
      ];
      const r = await run(['do', 'the answer', '--repo', repo, '--verify', 'node check.js', '--concurrency', '1'], { ...services(), GODEL_PROVIDERS: JSON.stringify(providers) }, 180_000);
      if (r.code !== 0) console.log(`godel do exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/provider failover flaky\/m1 → steady\/m2 \(.*503.*\)/);
      expect(r.stdout).toMatch(/merge of answer: verification red \(exit 1\): .*FAIL answer\.check\.js: the answer must be 42/);
      expect(git(repo, 'show', 'main:src/answer.js')).toBe('module.exports = () => 42;');
    } finally {
      await flaky.close();
      await steady.close();
    }
  }, 240_000);
});
