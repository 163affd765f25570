/**
 * A team survives the loss of its instance. Real: two compiled Godel servers, real pi, real git,
 * Redis, PostgreSQL; the offline scripted model plays a playbook. The server holding the team's
 * shard is SIGKILLed mid-intent; the other takes the shard over, the team actor's state is durable,
 * its agents are restarted there on their stored sessions (heartbeat reminder, or the next prompt),
 * and the intent ends with every task merged.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { shardOfKey } from '@godel/actors';
import { adminToken, bearer, createSampleRepo, git, type TeamPlaybook } from '@godel/testing';
import { useServerCluster } from '../server-cluster-kit';
import { CHECKED_REPO } from './team-fixture';

const SHARDS = 4;

describe('a team on an instance that dies', () => {
  const servers = useServerCluster();

  it('is taken over by another instance and finishes the intent: every task merged, the target green', async () => {
    const { env, root } = await servers.open(SHARDS, 'godel-team-failover-');
    const book: TeamPlaybook = {
      delayMs: 700,
      plan: {
        tasks: [
          { id: 'one', title: 'One', prompt: 'Write one.txt', dependsOn: [] },
          { id: 'two', title: 'Two', prompt: 'Write two.txt', dependsOn: [] },
          { id: 'three', title: 'Three', prompt: 'Write three.txt', dependsOn: ['one', 'two'] },
        ],
      },
      workers: {
        one: { task: { files: { 'one.txt': '1\n' } } },
        two: { task: { files: { 'two.txt': '2\n' } } },
        three: { task: { files: { 'three.txt': '3\n' } } },
      },
    };
    await writeFile(join(root, 'playbook.json'), JSON.stringify(book));
    const cluster = servers.cluster({ GODEL_SHARDS: String(SHARDS), GODEL_LEASE_TTL_MS: '1500', GODEL_PLAYBOOK: join(root, 'playbook.json'), GODEL_HOME: join(root, 'home') });
    const [a, b] = await Promise.all([cluster.start('a', 60_000), cluster.start('b', 60_000)]);
    const token = await adminToken(a.url!, cluster.adminKey);
    const repo = await createSampleRepo(root, CHECKED_REPO);
    const res = await fetch(`${a.url}/api/v1/intents`, { method: 'POST', headers: bearer(token, { 'content-type': 'application/json' }), body: JSON.stringify({ intent: 'three files', repo, verify: 'node check.js', concurrency: 2 }) });
    expect(res.status).toBe(202);
    const { team } = (await res.json()) as { team: string };
    const get = async (url: string) => (await (await fetch(`${url}/api/v1/teams/${team}`, { headers: bearer(token) })).json()) as { status: string; reason: string | null; taskList: Array<{ id: string; status: string }>; ledger: Array<{ outcome: string; merged?: string }> };

    // Wait until work is under way, then kill the instance that holds the team's shard.
    const end = Date.now() + 60_000;
    while (!(await get(a.url!)).taskList?.some((t) => t.status === 'running')) {
      if (Date.now() > end) throw new Error('no task started');
      await new Promise((r) => setTimeout(r, 200));
    }
    const shard = shardOfKey(team, SHARDS);
    const holder = await env.redis.hget(`${env.keyPrefix}:{s${shard}}:lease`, 'owner');
    const owner = [a, b].find((m) => m.instanceId === holder);
    if (!owner) throw new Error(`shard ${shard} of team ${team} is held by ${holder}, not a member`);
    const survivor = owner === a ? b : a;
    await cluster.kill(owner.name);

    const deadline = Date.now() + 150_000;
    let s = await get(survivor.url!);
    while (!['succeeded', 'failed', 'cancelled'].includes(s.status)) {
      if (Date.now() > deadline) throw new Error(`team still ${s.status}: ${JSON.stringify(s.taskList)}`);
      await new Promise((r) => setTimeout(r, 500));
      s = await get(survivor.url!);
    }
    expect({ status: s.status, reason: s.reason }).toEqual({ status: 'succeeded', reason: null });
    expect(s.ledger.filter((l) => l.outcome === 'merged')).toHaveLength(3);
    expect(git(repo, 'show', 'main:three.txt')).toBe('3');
    // The team's shard (and with it the team and its agents) now lives on the survivor.
    expect(await env.redis.hget(`${env.keyPrefix}:{s${shard}}:lease`, 'owner')).toBe(survivor.instanceId);
  }, 240_000);
});
