/**
 * Issue 14, findings 1 and 2 against a real server: a compiled Godel server process (its
 * environment holds GODEL_ADMIN_KEY, GODEL_JWT_SECRET, DATABASE_URL, REDIS_URL, a user's
 * GODEL_API_KEY and another provider's key), the offline scripted model playing a hostile worker
 * whose `bash` collects what it can reach into files (merged by the team, read back here), and a
 * hostile verification that prints the environment (its red output is in the `merge.red` event and
 * the worker's next prompt). Real: server, pi in bubblewrap, git, Redis, PostgreSQL. Mocked: nothing.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { adminToken, bearer, createSampleRepo, git, type TeamPlaybook } from '@godel/testing';
import { useServerCluster } from '../server-cluster-kit';
import { CHECKED_REPO } from '../teams/team-fixture';

const hidden = (cmd: string) => `echo ${Buffer.from(cmd).toString('base64')} | base64 -d | sh`;
const probe = (port: number) =>
  `node -e "const s=require('net').connect(${port},'127.0.0.1',()=>s.write('PING\\r\\n'));s.setTimeout(3000,()=>{console.log('TIMEOUT');process.exit()});s.on('data',d=>{console.log('REPLY '+String(d).slice(0,40));process.exit()});s.on('error',e=>console.log('ERR '+e.code))"`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('sandbox attacks against a real server', () => {
  const servers = useServerCluster();

  it("a hostile worker's bash and a hostile verification get none of the server's secrets, files or services", async () => {
    const { env, root } = await servers.open(4, 'godel-sandbox-server-');
    const home = join(root, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'credentials.json'), JSON.stringify({ refreshToken: 'gdr_planted-server-credentials-4711' }));
    const port = await freePort();
    const attack = [
      'mkdir -p leak',
      'env > leak/env.txt',
      `cat ${home}/credentials.json ~/.godel/credentials.json > leak/creds.txt 2>&1`,
      `ls ${home} ${join(home, 'worktrees')} /var/lib/postgresql > leak/files.txt 2>&1`,
      `${probe(6379)} > leak/redis.txt`,
      `${probe(5432)} > leak/postgres.txt`,
      `${probe(port)} > leak/api.txt`,
      "cat /proc/[0-9]*/cmdline | tr '\\0' ' ' > leak/procs.txt",
      'git config core.hooksPath "$PWD" > leak/git.txt 2>&1; echo "exit $?" >> leak/git.txt',
    ].join('; ');
    const book: TeamPlaybook = {
      plan: { tasks: [{ id: 'leak', title: 'Leak', prompt: 'Collect secrets.', dependsOn: [] }] },
      workers: { leak: { task: { bash: [hidden(attack)] } } },
    };
    await writeFile(join(root, 'playbook.json'), JSON.stringify(book));
    const cluster = servers.cluster({ GODEL_SHARDS: '4', GODEL_PLAYBOOK: join(root, 'playbook.json'), GODEL_HOME: home, GODEL_PORT: String(port), GODEL_API_KEY: 'gdk_users-own-key-planted-4711', OTHER_PROVIDER_API_KEY: 'sk-other-provider-planted-4711' });
    const a = await cluster.start('a', 60_000);
    const secrets = [cluster.adminKey, env.databaseUrl, env.redisUrl, 'gdk_users-own-key-planted-4711', 'sk-other-provider-planted-4711', 'gdr_planted-server-credentials-4711'];
    const token = await adminToken(a.url!, cluster.adminKey);
    const repo = await createSampleRepo(root, CHECKED_REPO);
    const start = async (verify: string, at = repo) => {
      const res = await fetch(`${a.url}/api/v1/intents`, { method: 'POST', headers: bearer(token, { 'content-type': 'application/json' }), body: JSON.stringify({ intent: 'collect', repo: at, verify, concurrency: 1 }) });
      expect(res.status).toBe(202);
      return ((await res.json()) as { team: string }).team;
    };
    const events = async (team: string, type: string) =>
      ((await (await fetch(`${a.url}/api/v1/events?team=${team}&type=${type}&limit=50`, { headers: bearer(token) })).json()) as { items: Array<{ data: Record<string, unknown> }> }).items;
    const until = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 150_000): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        const v = await fn();
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };

    // 1. The worker's bash: its findings are committed and merged (verification green), read back from main.
    const team1 = await start('node check.js');
    await until('the leak to be merged', async () => ((await events(team1, 'merge.merged')).length > 0 ? true : undefined));
    const leak = async (f: string) => readFile(join(repo, 'leak', f), 'utf8').catch(() => git(repo, 'show', `main:leak/${f}`));
    const all = (await Promise.all(['env.txt', 'creds.txt', 'files.txt', 'redis.txt', 'postgres.txt', 'api.txt', 'procs.txt', 'git.txt'].map(leak))).join('\n');
    for (const s of secrets) expect(all).not.toContain(s);
    expect(await leak('env.txt')).toMatch(/^PATH=/m); // the attack did run
    expect(await leak('env.txt')).not.toMatch(/^(GODEL_ADMIN_KEY|GODEL_JWT_SECRET|GODEL_API_KEY|DATABASE_URL|REDIS_URL|OTHER_PROVIDER_API_KEY)=/m);
    expect(await leak('redis.txt')).toMatch(/^ERR ECONNREFUSED/);
    expect(await leak('postgres.txt')).toMatch(/^ERR ECONNREFUSED/);
    expect(await leak('api.txt')).toMatch(/^ERR ECONNREFUSED/);
    expect(await leak('procs.txt')).not.toMatch(/redis-server|postgres|main\.js/);
    expect(await leak('git.txt')).toMatch(/Read-only file system[\s\S]*exit [1-9]/);
    expect(await readFile(join(repo, '.git', 'config'), 'utf8')).not.toMatch(/hookspath|fsmonitor/i);

    // 2. A verification that prints the environment once the worker's change is in: red, and its output
    // (event and next prompt) holds no secret. A fresh repository, so the baseline (no leak/ yet) is green.
    const second = await createSampleRepo(join(root, 'second'), CHECKED_REPO);
    const team2 = await start('if [ -d leak ]; then env; echo sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789; exit 1; fi', second);
    const red = await until('a red merge', async () => (await events(team2, 'merge.red'))[0]);
    const output = String(red.data.output);
    expect(output).toMatch(/PATH=/);
    for (const s of secrets) expect(output).not.toContain(s);
    expect(output).not.toMatch(/GODEL_|DATABASE_URL|REDIS_URL/);
    expect(output).not.toContain('sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789');
    await fetch(`${a.url}/api/v1/teams/${team2}/cancel`, { method: 'POST', headers: bearer(token) });
  }, 300_000);
});
