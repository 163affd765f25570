/**
 * A team on an https repository whose server-side credentials are revoked mid-team (issue 12).
 * Real: a compiled Godel server with its own home, real pi on the offline scripted model, real git,
 * the repository served over smart-HTTP on TLS (loopback, `git http-backend`) requiring Basic auth;
 * the server holds the token (GODEL_GIT_CREDENTIALS, a file) and the CA. Mocked: nothing.
 * After a worker pushed its work the remote stops accepting the token (a revoked token): the team
 * waits for its remote (auth_failed) for GODEL_REMOTE_WAIT_MS, then fails naming the remote, the
 * code and the setting to fix; `main` is untouched, nothing is merged, the worker's commit is kept in
 * the instance's mirror, and the token appears in no event.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, type TeamPlaybook } from '@godel/testing';
import { makeBareRemote, startHttpsGit } from '../../libs/workspace/test/git-servers';
import { FederationFixture } from './federation-fixture';

const DONE = ['succeeded', 'failed', 'cancelled'];
const TOKEN = 'tok-revoked-later-7f3a9c';

const playbook: TeamPlaybook = {
  delayMs: 300,
  plan: { tasks: [{ id: 'one', title: 'one', prompt: 'Write one.txt', dependsOn: [] }] },
  workers: { one: { task: { files: { 'one.txt': 'one\n' } } } },
};

describe('a team whose https remote stops accepting the server credentials', () => {
  let f: FederationFixture;
  let https: Awaited<ReturnType<typeof startHttpsGit>> | undefined;
  afterEach(async () => {
    await f?.close();
    await https?.stop();
  });

  it('waits, then fails naming the remote and GODEL_GIT_CREDENTIALS; main untouched; the work kept; the token in no event', async () => {
    f = await FederationFixture.create(playbook);
    await mkdir(join(f.root, 'served'));
    const bare = await makeBareRemote(join(f.root, 'served'), 'app', { 'README.md': '# app\n' });
    https = await startHttpsGit(f.root, join(f.root, 'served'), 'godel', TOKEN);
    const tokenFile = join(f.root, 'git-token');
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const url = https.url('app');
    const m = await f.start('a', { GODEL_GIT_USERNAME: 'godel', GODEL_GIT_CREDENTIALS: tokenFile, GODEL_GIT_CA_FILE: https.caFile, GODEL_REMOTE_WAIT_MS: '5000' });
    expect((await f.api(m, 'POST', '/api/v1/repos', { path: url })).status).toBeLessThan(300);
    const start = git(bare, 'rev-parse', 'main');
    const r = await f.api<{ team: string }>(m, 'POST', '/api/v1/intents', { intent: 'one file', repo: url });
    expect(r.status).toBe(202);
    const team = r.body.team;
    const count = async (sql: string) => Number((await f.env.dataSource.query(sql, [team]))[0].n);
    await f.until('a worker pushed its work', async () => (await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND type = 'agent.work_pushed' AND agent LIKE '%worker-%'`)) > 0, 240_000);
    https.setPassword('rotated-elsewhere');

    const end = await f.until('the team ended', async () => {
      const s = await f.api<{ status: string; reason: string | null; ledger: Array<{ outcome: string }> }>(m, 'GET', `/api/v1/teams/${team}`);
      return DONE.includes(s.body.status) && s.body;
    }, 300_000);
    expect(end.status).toBe('failed');
    expect(end.reason).toContain('workspace.auth_failed');
    expect(end.reason).toContain(url);
    expect(end.reason).toContain('GODEL_GIT_CREDENTIALS');
    expect(end.ledger.filter((l) => l.outcome === 'merged')).toEqual([]);
    expect(git(bare, 'rev-parse', 'main')).toBe(start);
    // It waited before giving up, and said why.
    expect(await count(`SELECT count(*) AS n FROM events WHERE team = $1 AND data->>'code' = 'workspace.auth_failed'`)).toBeGreaterThan(0);
    // The worker's commit is not lost: kept as the failed task's branch in this instance's mirror.
    const mirrors = join(f.root, 'home-a', 'mirrors');
    const mirror = join(mirrors, (await readdir(mirrors)).find((d) => d.endsWith('.git'))!);
    const kept = `refs/heads/godel/${team}/failed/one`;
    await f.until('the kept branch in the mirror', async () => git(mirror, 'for-each-ref', kept) !== '', 60_000);
    expect(git(mirror, 'show', `${kept}:one.txt`)).toBe('one');
    // The token is the server's: in no event, whatever failed.
    const leaked: unknown[] = await f.env.dataSource.query(`SELECT seq FROM events WHERE strpos(data::text, $1) > 0`, [TOKEN]);
    expect(leaked).toEqual([]);
  }, 600_000);
});
