/**
 * A team on a repository URL whose remote refuses its pushes in the middle of the team (issue 12).
 * Real: a compiled Godel server with its own home, real pi on the offline scripted model, real git,
 * the repository a bare one served by `git daemon` on loopback with a pre-receive hook that refuses
 * every push to `main` while a flag file exists (what a protected branch or a policy hook does).
 * Mocked: nothing.
 * - Refused for a while (longer than the refinery's tries; within GODEL_REMOTE_WAIT_MS), then allowed:
 *   the merges wait (`merge.remote_waiting`, no try charged) and land exactly once each, fast-forward
 *   only, fsck clean; the team succeeds; its refs leave the remote.
 * - The remote gone (daemon stopped) mid-team and back: the team's git work waits for the remote
 *   (`team.remote_unavailable`), then every task is merged once and the team succeeds.
 * - The remote gone for good: past GODEL_REMOTE_WAIT_MS the team fails (`remote.unavailable`, naming
 *   the remote and what to do); the worker's commit is kept in the instance's mirror.
 * - Refused for good (past GODEL_REMOTE_WAIT_MS, then the refinery's tries): the team fails (no success for work that did not land) with a typed reason
 *   naming the remote and what to do; `main` is untouched; the approved work is kept on the remote
 *   (`godel/<team>/failed/<task>`), the only ref of the team left there.
 */
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, type ClusterMember, type TeamPlaybook } from '@godel/testing';
import { makeBareRemote, startGitDaemon } from '../../libs/workspace/test/git-servers';
import { FederationFixture } from './federation-fixture';

const DONE = ['succeeded', 'failed', 'cancelled'];

interface TeamView {
  status: string;
  reason: string | null;
  ledger: Array<{ outcome: string; merged?: string; task: string; commit: string }>;
  taskList: Array<{ id: string; status: string; reason?: string }>;
}

const playbook = (tasks: string[]): TeamPlaybook => ({
  delayMs: 300,
  plan: { tasks: tasks.map((id) => ({ id, title: id, prompt: `Write ${id}.txt`, dependsOn: [] })) },
  workers: Object.fromEntries(tasks.map((id) => [id, { task: { files: { [`${id}.txt`]: `${id}\n` } } }])),
});

describe('a team on a repository URL whose remote refuses its pushes', () => {
  let f: FederationFixture;
  let daemon: Awaited<ReturnType<typeof startGitDaemon>> | undefined;
  afterEach(async () => {
    await f?.close();
    await daemon?.stop();
    daemon = undefined;
  });

  const count = async (sql: string, args: unknown[] = []) => Number((await f.env.dataSource.query(sql, args))[0].n);

  /** Waits until the team's first worker pushed its work; on a timeout the message carries the team's events. */
  async function workerPushed(team: string): Promise<void> {
    try {
      await f.until('a worker pushed its work', async () => (await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'agent.work_pushed' AND agent LIKE '%worker-%'`, [team])) > 0, 240_000);
    } catch (err) {
      const events: Array<{ type: string; agent: string | null; at: Date }> = await f.env.dataSource.query(`SELECT type, agent, at FROM events WHERE team = $1 ORDER BY seq`, [team]);
      throw new Error(`${(err as Error).message}; the team's events: ${JSON.stringify(events.map((e) => [new Date(e.at).toISOString().slice(11, 23), e.type, e.agent]))}`);
    }
  }

  /** A served bare repository whose pre-receive hook refuses pushes to main while `flag` exists. */
  async function guardedRemote(env: Record<string, string> = {}): Promise<{ bare: string; url: string; flag: string; m: ClusterMember }> {
    await mkdir(join(f.root, 'served'));
    const bare = await makeBareRemote(join(f.root, 'served'), 'app', { 'README.md': '# app\n' });
    const flag = join(f.root, 'main-frozen');
    const hook = join(bare, 'hooks', 'pre-receive');
    await writeFile(hook, `#!/bin/sh\nwhile read old new ref; do\n  if [ "$ref" = refs/heads/main ] && [ -e '${flag}' ]; then echo "main is frozen by policy" >&2; exit 1; fi\ndone\nexit 0\n`);
    await chmod(hook, 0o755);
    daemon = await startGitDaemon(join(f.root, 'served'));
    const url = daemon.url('app');
    const m = await f.start('a', env);
    expect((await f.api(m, 'POST', '/api/v1/repos', { path: url })).status).toBeLessThan(300);
    await writeFile(flag, 'frozen\n');
    return { bare, url, flag, m };
  }

  async function ended(m: ClusterMember, team: string): Promise<TeamView> {
    return f.until('the team ended', async () => {
      const s = await f.api<TeamView>(m, 'GET', `/api/v1/teams/${team}`);
      return DONE.includes(s.body.status) && s.body;
    }, 300_000);
  }

  /** The team's refs on the remote once its cleanup ran (the remote-refs event is written after the deletion). */
  async function teamRefsLeft(bare: string, team: string): Promise<string[]> {
    await f.until('the team cleaned up on the remote', async () => (await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'team.remote_refs_deleted'`, [team])) > 0, 120_000);
    return git(bare, 'for-each-ref', '--format=%(refname)').split('\n').filter((r) => r.includes(`/${team}/`));
  }

  it('refused for a while, then allowed: every merge retried and landed exactly once, the team succeeds, its refs leave the remote', async () => {
    const tasks = ['one', 'two'];
    f = await FederationFixture.create(playbook(tasks));
    const { bare, url, flag, m } = await guardedRemote();
    const start = git(bare, 'rev-parse', 'main');
    const r = await f.api<{ team: string }>(m, 'POST', '/api/v1/intents', { intent: 'two files', repo: url, concurrency: 2 });
    expect(r.status).toBe(202);
    const team = r.body.team;
    // A merge has been refused for 20 s — longer than the refinery's five tries took before it waited
    // for its remote (1+2+4+8 s) — and waits on, not charged a try: the remote's rule is lifted.
    await f.until('a merge waiting 20 s for a refusing remote', async () => (await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'merge.remote_waiting' AND data->>'code' = 'workspace.push_refused' AND (data->>'waitedS')::int >= 20`, [team])) > 0, 240_000);
    expect(await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'merge.started' AND (data->>'try')::int >= 2`, [team])).toBe(0);
    expect(git(bare, 'rev-parse', 'main')).toBe(start);
    await rm(flag);

    const end = await ended(m, team);
    expect({ status: end.status, reason: end.reason }).toEqual({ status: 'succeeded', reason: null });
    for (const id of tasks) {
      expect(git(bare, 'show', `main:${id}.txt`)).toBe(id);
      expect(git(bare, 'log', '--format=%H', 'main', '--', `${id}.txt`).split('\n')).toHaveLength(1); // landed once
    }
    for (const l of end.ledger.filter((x) => x.outcome === 'merged')) expect(() => git(bare, 'merge-base', '--is-ancestor', l.merged!, 'main')).not.toThrow();
    expect(git(bare, 'rev-list', '--min-parents=2', 'main')).toBe('');
    expect(git(bare, 'fsck', '--no-progress', '--no-dangling')).toBe('');
    expect(await teamRefsLeft(bare, team)).toEqual([]);
  }, 600_000);

  it('the remote down mid-team (its daemon stopped), back a little later: nothing lost, every task merged once, the team succeeds', async () => {
    const tasks = ['one', 'two'];
    f = await FederationFixture.create(playbook(tasks));
    const { bare, url, flag, m } = await guardedRemote();
    await rm(flag);
    const r = await f.api<{ team: string }>(m, 'POST', '/api/v1/intents', { intent: 'two files', repo: url, concurrency: 2 });
    expect(r.status).toBe(202);
    const team = r.body.team;
    await workerPushed(team);
    const port = daemon!.port;
    await daemon!.stop();
    // The team's next git work needs the remote: it waits for it, and says so (once per effect).
    await f.until('the team waiting for its remote', async () => (await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'team.remote_unavailable'`, [team])) > 0, 240_000);
    const [waiting] = await f.env.dataSource.query(`SELECT data FROM events WHERE team = $1 AND type = 'team.remote_unavailable' ORDER BY seq LIMIT 1`, [team]);
    expect(waiting.data).toMatchObject({ code: 'workspace.unreachable', repo: url, retrying: true, since: expect.any(Number) });
    daemon = await startGitDaemon(join(f.root, 'served'), port);

    const end = await ended(m, team);
    expect({ status: end.status, reason: end.reason }).toEqual({ status: 'succeeded', reason: null });
    // The wait ended in the log too: the remote's return is said after the outage.
    const said: Array<{ type: string }> = await f.env.dataSource.query(`SELECT type FROM events WHERE team = $1 AND type LIKE 'team.remote_%' ORDER BY seq`, [team]);
    expect(said.map((e) => e.type).lastIndexOf('team.remote_available')).toBeGreaterThan(said.map((e) => e.type).indexOf('team.remote_unavailable'));
    for (const id of tasks) expect(git(bare, 'log', '--format=%H', 'main', '--', `${id}.txt`).split('\n')).toHaveLength(1);
    for (const l of end.ledger) expect(() => git(bare, 'merge-base', '--is-ancestor', l.merged ?? l.commit, 'main')).not.toThrow();
    expect(git(bare, 'rev-list', '--min-parents=2', 'main')).toBe('');
    expect(git(bare, 'fsck', '--no-progress', '--no-dangling')).toBe('');
    expect(await teamRefsLeft(bare, team)).toEqual([]);
  }, 600_000);

  it('the remote gone for good: past GODEL_REMOTE_WAIT_MS the team fails naming the remote and what to do; main untouched; the work kept in the mirror', async () => {
    f = await FederationFixture.create(playbook(['one']));
    const { bare, url, flag, m } = await guardedRemote({ GODEL_REMOTE_WAIT_MS: '5000' });
    await rm(flag);
    const start = git(bare, 'rev-parse', 'main');
    const r = await f.api<{ team: string }>(m, 'POST', '/api/v1/intents', { intent: 'one file', repo: url });
    expect(r.status).toBe(202);
    const team = r.body.team;
    await workerPushed(team);
    await daemon!.stop();
    daemon = undefined;

    const end = await ended(m, team);
    expect(end.status).toBe('failed');
    expect(end.reason).toMatch(/^remote\.unavailable: the remote \S+ was unavailable for \d+ s \(workspace\.unreachable\); check that it is up/);
    expect(end.reason).toContain(url);
    expect(end.ledger.filter((l) => l.outcome === 'merged')).toEqual([]);
    expect(git(bare, 'rev-parse', 'main')).toBe(start);
    const said = await f.env.dataSource.query(`SELECT DISTINCT type FROM events WHERE team = $1 AND type LIKE 'team.remote_%' ORDER BY type`, [team]);
    expect(said.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['team.remote_given_up', 'team.remote_unavailable']));
    // The worker's commit is not lost: kept as the failed task's branch in this instance's mirror.
    await f.until('the failed work kept', async () => (await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'task.work_kept'`, [team])) > 0, 60_000);
    const mirrors = join(f.root, 'home-a', 'mirrors');
    const mirror = join(mirrors, (await readdir(mirrors)).find((d) => d.endsWith('.git'))!);
    const kept = `refs/heads/godel/${team}/failed/one`;
    await f.until('the kept branch in the mirror', async () => git(mirror, 'for-each-ref', kept) !== '', 60_000);
    expect(git(mirror, 'show', `${kept}:one.txt`)).toBe('one');
  }, 600_000);

  it('refused for good: the team fails naming the remote and what to do; main untouched; the approved work kept on the remote', async () => {
    f = await FederationFixture.create(playbook(['one']));
    const { bare, url, m } = await guardedRemote({ GODEL_REMOTE_WAIT_MS: '5000' });
    const start = git(bare, 'rev-parse', 'main');
    const r = await f.api<{ team: string }>(m, 'POST', '/api/v1/intents', { intent: 'one file', repo: url });
    expect(r.status).toBe(202);
    const team = r.body.team;

    const end = await ended(m, team);
    expect(end.status).toBe('failed');
    expect(end.reason).toContain('workspace.push_refused');
    expect(end.reason).toContain(url);
    expect(end.reason).toContain('allow Godel');
    expect(end.taskList.map((t) => t.status)).toEqual(['failed']);
    expect(end.ledger.filter((l) => l.outcome === 'merged')).toEqual([]);
    expect(git(bare, 'rev-parse', 'main')).toBe(start);
    // The approved commit is not lost: kept on the remote, the one ref of the team left there.
    const approved = end.ledger.find((l) => l.task === 'one')!.commit;
    expect(await teamRefsLeft(bare, team)).toEqual([`refs/heads/godel/${team}/failed/one`]);
    expect(git(bare, 'rev-parse', `godel/${team}/failed/one`)).toBe(approved);
    expect(git(bare, 'show', `godel/${team}/failed/one:one.txt`)).toBe('one');
    expect(git(bare, 'fsck', '--no-progress', '--no-dangling')).toBe('');
  }, 600_000);
});
