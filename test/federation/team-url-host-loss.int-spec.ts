/**
 * A team on a repository URL (issue 12), real compiled servers with separate home folders, real pi
 * on the offline scripted model, real git, the repository a bare one served by `git daemon` on
 * loopback. Three instances; the team's instance is SIGKILLed mid-task and its home folder deleted
 * (the host's disk is gone) → a survivor takes the team over, rebuilds the members' worktrees from
 * their pushed work, and the team finishes there: every task merged, the target pushed to the
 * remote (which someone else moved meanwhile: rebased onto, nothing lost), `git fsck` clean; once its
 * members cleaned up, none of the team's refs is left on the remote. Then bad input: the remote gone → the intent is refused with a typed
 * error and nothing starts.
 * And the instance running a merge of a URL team SIGKILLed mid-merge (during its verification): the
 * merge job runs again on the survivor and lands exactly once; history linear, fsck clean.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, type ClusterMember, type TeamPlaybook } from '@godel/testing';
import { makeBareRemote, startGitDaemon } from '../../libs/workspace/test/git-servers';
import { FederationFixture, TEAM_DONE } from './federation-fixture';

const TASKS = ['one', 'two', 'three'];

describe('a team on a repository URL', () => {
  let f: FederationFixture;
  let daemon: Awaited<ReturnType<typeof startGitDaemon>> | undefined;
  afterEach(async () => {
    await f?.close();
    await daemon?.stop();
  });

  const count = async (sql: string, args: unknown[] = []) => Number((await f.env.dataSource.query(sql, args))[0].n);

  it('survives the loss of its host and its disk: finishes on a survivor, every task merged and pushed, fsck clean', async () => {
    const book: TeamPlaybook = {
      delayMs: 700,
      plan: { tasks: TASKS.map((id) => ({ id, title: id, prompt: `Write ${id}.txt`, dependsOn: id === 'three' ? ['one'] : [] })) },
      workers: Object.fromEntries(TASKS.map((id) => [id, { task: { files: { [`${id}.txt`]: `${id}\n` } } }])),
    };
    f = await FederationFixture.create(book);
    await mkdir(join(f.root, 'served'));
    const bare = await makeBareRemote(join(f.root, 'served'), 'app', { 'README.md': '# app\n' });
    daemon = await startGitDaemon(join(f.root, 'served'));
    const url = daemon.url('app');
    const start = git(bare, 'rev-parse', 'main');
    const members = await Promise.all(['a', 'b', 'c'].map((n) => f.start(n)));
    expect((await f.api(members[0], 'POST', '/api/v1/repos', { path: url })).status).toBeLessThan(300);
    const r = await f.api<{ team: string }>(members[0], 'POST', '/api/v1/intents', { intent: 'three files', repo: url, concurrency: 2 });
    expect(r.status).toBe(202);
    const team = r.body.team;

    // Mid-task: a worker's turn under way, after a first commit of the team went to review or merge.
    await f.until('a worker mid-turn', async () => (await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'agent.turn_started' AND agent LIKE '%worker-%'`, [team])) > 0, 180_000);
    const held = await f.shardHolder(team);
    const dead = members.find((m) => m.instanceId === held)!;
    expect(dead).toBeDefined();
    const seq = await count(`SELECT coalesce(max(seq), 0) AS n FROM events`);
    await f.cluster.kill(dead.name);
    await rm(join(f.root, `home-${dead.name}`), { recursive: true, force: true });
    const survivors = members.filter((m) => m !== dead);
    // Someone else pushes to the target meanwhile: the team's pushes are no longer fast-forwards of
    // what it fetched — its merges rebase onto the moved remote, and nothing of either is lost.
    const other = join(f.root, 'other');
    git(f.root, 'clone', '-q', bare, other);
    await writeFile(join(other, 'other.txt'), 'other\n');
    git(other, 'add', 'other.txt');
    git(other, 'commit', '-q', '-m', 'someone else');
    git(other, 'push', '-q', 'origin', 'HEAD:main');
    const theirs = git(other, 'rev-parse', 'HEAD');

    const taker = await f.until('the team re-placed on a survivor', () => holderAmong(team, survivors), 60_000);
    let last: unknown;
    const end = await f
      .until('the team finished', async () => {
        const s = await f.api<{ status: string; reason: string | null; ledger: Array<{ outcome: string; merged?: string; task: string }>; taskList: Array<{ id: string; status: string }> }>(taker, 'GET', `/api/v1/teams/${team}`);
        last = s.body;
        return TEAM_DONE.includes(s.body.status) && s.body;
      }, 300_000)
      .catch(async (err: unknown) => {
        const events = await f.env.dataSource.query(`SELECT type, agent, data FROM events WHERE team = $1 AND seq > $2 ORDER BY seq`, [team, seq]);
        throw new Error(`${String(err)}; team: ${JSON.stringify(last).slice(0, 3000)}; events: ${JSON.stringify(events).slice(-4000)}`);
      });
    expect({ status: end.status, reason: end.reason }).toEqual({ status: 'succeeded', reason: null });
    expect(end.taskList.map((t) => t.status)).toEqual(TASKS.map(() => 'done'));
    // Every approved commit merged, on the remote's target, which moved forward from where it was.
    const merged = end.ledger.filter((l) => l.outcome === 'merged' && l.merged);
    expect(new Set(merged.map((l) => l.task))).toEqual(new Set(TASKS));
    for (const l of merged) expect(() => git(bare, 'merge-base', '--is-ancestor', l.merged!, 'main')).not.toThrow();
    expect(() => git(bare, 'merge-base', '--is-ancestor', start, 'main')).not.toThrow();
    expect(() => git(bare, 'merge-base', '--is-ancestor', theirs, 'main')).not.toThrow();
    for (const id of TASKS) expect(git(bare, 'show', `main:${id}.txt`)).toBe(id);
    expect(git(bare, 'rev-list', '--min-parents=2', 'main')).toBe(''); // fast-forwards only
    expect(git(bare, 'fsck', '--no-progress', '--no-dangling')).toBe('');
    // The team's agents ran turns on the survivor after the kill; the dead host's home is not used again.
    expect(await count(`SELECT count(*) AS n FROM events WHERE seq > $1 AND team = $2 AND type = 'agent.turn_completed'`, [seq, team])).toBeGreaterThan(0);
    const paths: Array<{ w: string | null; type: string; agent: string }> = await f.env.dataSource.query(`SELECT type, agent, data->>'worktree' AS w FROM events WHERE seq > $1 AND team = $2 AND data ? 'worktree'`, [seq, team]);
    expect(paths.filter((p) => p.w?.startsWith(join(f.root, `home-${dead.name}`)))).toEqual([]);
    // The team's refs leave the remote once its members cleaned up: work, approved, merged, attempts.
    await f.until('the team cleaned up on the remote', async () => (await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'team.remote_refs_deleted'`, [team])) > 0, 120_000);
    expect(git(bare, 'for-each-ref', '--format=%(refname)').split('\n').filter((ref) => ref.includes(`/${team}/`))).toEqual([]);

    // Bad input: the remote is gone → a typed error (502 workspace.unreachable), and no team starts.
    await daemon.stop();
    daemon = undefined;
    const teams = await count(`SELECT count(*) AS n FROM events WHERE type = 'team.started'`);
    const refused = await f.api<{ code: string }>(taker, 'POST', '/api/v1/intents', { intent: 'more', repo: url });
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 502, code: 'workspace.unreachable' });
    expect(await count(`SELECT count(*) AS n FROM events WHERE type = 'team.started'`)).toBe(teams);
  }, 600_000);

  it('the instance running a merge is SIGKILLed mid-merge: the merge lands on the remote exactly once, history linear, fsck clean', async () => {
    const tasks = ['one', 'two'];
    const book: TeamPlaybook = {
      delayMs: 300,
      plan: { tasks: tasks.map((id) => ({ id, title: id, prompt: `Write ${id}.txt`, dependsOn: [] })) },
      workers: Object.fromEntries(tasks.map((id) => [id, { task: { files: { [`${id}.txt`]: `${id}\n` } } }])),
    };
    f = await FederationFixture.create(book);
    await mkdir(join(f.root, 'served'));
    const bare = await makeBareRemote(join(f.root, 'served'), 'app', { 'README.md': '# app\n' });
    daemon = await startGitDaemon(join(f.root, 'served'));
    const url = daemon.url('app');
    const members = await Promise.all(['a', 'b'].map((n) => f.start(n)));
    expect((await f.api(members[0], 'POST', '/api/v1/repos', { path: url })).status).toBeLessThan(300);
    // A slow verification, so the kill lands while a merge runs (after its rebase, before its push).
    const r = await f.api<{ team: string }>(members[0], 'POST', '/api/v1/intents', { intent: 'two files', repo: url, verify: 'sleep 8', concurrency: 2 });
    expect(r.status).toBe(202);
    const team = r.body.team;
    await f.until('a merge verifying', async () => (await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'merge.verify_started'`, [team])) > 0, 240_000);
    // The merging instance: the one whose mirror has the merge's scratch worktree registered.
    const merging = await f.until('the merging instance found', async () => {
      for (const m of members) if (await hasScratchWorktree(join(f.root, `home-${m.name}`, 'mirrors'))) return m;
      return undefined;
    }, 10_000);
    const before = git(bare, 'rev-parse', 'main');
    await f.cluster.kill(merging.name);
    expect(git(bare, 'rev-parse', 'main')).toBe(before); // killed before its push
    const survivor = members.find((m) => m !== merging)!;

    const end = await f.until('the team finished', async () => {
      const s = await f.api<{ status: string; reason: string | null; ledger: Array<{ outcome: string; merged?: string; task: string }> }>(survivor, 'GET', `/api/v1/teams/${team}`);
      return TEAM_DONE.includes(s.body.status) && s.body;
    }, 420_000);
    if (end.status !== 'succeeded') {
      // What the team and its agents did, for the failure message (a timing-dependent path).
      const events = await f.env.dataSource.query(`SELECT type, agent, data FROM events WHERE team = $1 ORDER BY seq`, [team]);
      throw new Error(`team ${end.status}: ${end.reason}; killed ${merging.name}; events: ${JSON.stringify(events).slice(-6000)}`);
    }
    expect({ status: end.status, reason: end.reason }).toEqual({ status: 'succeeded', reason: null });
    for (const id of tasks) {
      expect(git(bare, 'show', `main:${id}.txt`)).toBe(id);
      expect(git(bare, 'log', '--format=%H', 'main', '--', `${id}.txt`).split('\n')).toHaveLength(1); // once: no lost, no doubled commit
    }
    const merged = end.ledger.filter((l) => l.outcome === 'merged');
    expect(new Set(merged.map((l) => l.task))).toEqual(new Set(tasks));
    for (const l of merged) expect(() => git(bare, 'merge-base', '--is-ancestor', l.merged!, 'main')).not.toThrow();
    expect(git(bare, 'rev-list', '--min-parents=2', 'main')).toBe('');
    expect(git(bare, 'fsck', '--no-progress', '--no-dangling')).toBe('');
    // The killed merge ran again elsewhere: a second start of the same merge attempt.
    const starts: Array<{ task: string; attempt: string }> = await f.env.dataSource.query(`SELECT data->>'task' AS task, data->>'attempt' AS attempt FROM events WHERE team = $1 AND type = 'merge.started'`, [team]);
    expect(starts.length).toBeGreaterThan(new Set(starts.map((x) => `${x.task}/${x.attempt}`)).size);
  }, 600_000);

  async function hasScratchWorktree(mirrors: string): Promise<boolean> {
    for (const repo of await readdir(mirrors).catch(() => [] as string[])) {
      for (const wt of await readdir(join(mirrors, repo, 'worktrees')).catch(() => [] as string[])) {
        if ((await readFile(join(mirrors, repo, 'worktrees', wt, 'gitdir'), 'utf8').catch(() => '')).includes('godel-scratch-')) return true;
      }
    }
    return false;
  }

  async function holderAmong(team: string, among: ClusterMember[]): Promise<ClusterMember | undefined> {
    const h = await f.shardHolder(team);
    return among.find((m) => m.instanceId === h);
  }
});
