/**
 * A merge job that runs twice (its worker stopped renewing the job's lock mid-merge, so another
 * worker ran it again, BullMQ's stalled-job recovery) lands once and is reported once; the stage
 * events of the two runs are told apart by their run. Real: Redis (BullMQ, redlock), PostgreSQL
 * (the event log), git, the verification command. Mocked: nothing; the two refineries are two
 * in-process workers on one queue, the first abandoned (worker closed by force) mid-verification.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Refinery } from '@godel/orchestration';
import { EventLog } from '@godel/persistence';
import { Sandbox } from '@godel/sandbox';
import { createSampleRepo, createTestEnv, type TestEnv } from '@godel/testing';
import { Redis } from 'ioredis';

jest.setTimeout(120_000);

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a merge job run twice', () => {
  let env: TestEnv;
  let root: string;
  const clients: Redis[] = [];
  const refineries: Refinery[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    root = await mkdtemp(join(tmpdir(), 'godel-rerun-'));
  });
  afterAll(async () => {
    for (const r of refineries) await r.close().catch(() => undefined);
    for (const c of clients) c.disconnect();
    await env.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('lands once and is reported once; each run says which run it is', async () => {
    const repo = await createSampleRepo(root, { 'README.md': '# r\n' });
    git(repo, 'checkout', '-q', '-b', 'work');
    await writeFile(join(repo, 'feature.txt'), 'feature\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'add feature');
    const commit = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'checkout', '-q', 'main');

    const events = new EventLog(env.dataSource);
    const told: Array<{ type: string; payload: unknown }> = [];
    const make = () => {
      const c = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
      clients.push(c);
      const r = new Refinery({
        connection: c,
        lockClient: c,
        prefix: `${env.keyPrefix}:bull`,
        tell: async (_to, type, payload) => void told.push({ type, payload }),
        events,
        backoffMs: 200,
        sandbox: new Sandbox({ mode: 'off', onWarn: () => undefined }),
        lockDurationMs: 1500,
        stalledIntervalMs: 500,
      });
      refineries.push(r);
      return r;
    };
    const first = make();
    first.start();
    // The verification takes long enough for the first worker's lock to lapse once it is abandoned.
    await first.enqueue({ team: 'rr', teamAddress: 'team/rr', task: 't1', attempt: 1, repo, target: 'main', commit, verify: 'sleep 4', verifyTimeoutMs: 60_000 });
    const started = async () => (await events.list({ team: 'rr' })).filter((e) => e.type === 'merge.started');
    for (const end = Date.now() + 30_000; (await started()).length === 0; await sleep(100)) if (Date.now() > end) throw new Error('the first run never started');
    await first.abandon(); // its run goes on, without renewing the job's lock
    make().start();

    const outcome = async () => (await events.list({ team: 'rr' })).filter((e) => e.type.startsWith('merge.') && !['merge.started', 'merge.rebased', 'merge.verify_started', 'merge.verify_finished'].includes(e.type));
    for (const end = Date.now() + 60_000; (await started()).length < 2 || told.filter((t) => t.type === 'team.merge_result').length < 2; await sleep(200)) {
      if (Date.now() > end) throw new Error(`no second run: ${JSON.stringify((await events.list({ team: 'rr' })).map((e) => e.type))}`);
    }
    // Both runs really ran and answered the team (it ignores the answer it has already had).
    const runs = (await started()).map((e) => e.data.run);
    expect(new Set(runs).size).toBe(2);
    expect(runs.every((r) => typeof r === 'string' && r.length > 0)).toBe(true);
    // The merge landed once, and the log has one outcome for the attempt.
    expect(git(repo, 'log', '--format=%s', 'main').split('\n').filter((s) => s === 'add feature')).toHaveLength(1);
    expect((await outcome()).map((e) => e.type)).toEqual(['merge.merged']);
    // Every stage event of a run is once in the log: same type, try and run at most once.
    const stages = (await events.list({ team: 'rr' })).filter((e) => ['merge.started', 'merge.verify_started', 'merge.verify_finished'].includes(e.type));
    const keys = stages.map((e) => `${e.type}|${String(e.data.try)}|${String(e.data.run)}`);
    expect(keys.length).toBe(new Set(keys).size);
  });
});
