/**
 * Worktree cleanup as a BullMQ repeatable job. Real: BullMQ on Redis, git worktrees, the event log
 * in PostgreSQL. The agents' statuses come from a map (the janitor asks a function for them).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorktreeJanitor, agentAddress } from '@godel/agents';
import { EventLog } from '@godel/persistence';
import { WorktreeManager } from '@godel/workspace';
import { createSampleRepo, createTestEnv, type TestEnv } from '@godel/testing';

describe('worktree janitor (BullMQ repeatable job)', () => {
  let env: TestEnv;
  let root: string;
  beforeAll(async () => {
    env = await createTestEnv();
    root = await mkdtemp(join(tmpdir(), 'godel-janitor-'));
  });
  afterAll(async () => {
    await env.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('removes expired worktrees on schedule, never a live one, keeps failed ones, and is idempotent', async () => {
    const repo = await createSampleRepo(root, { 'a.txt': 'a\n' });
    const worktreesRoot = join(root, 'worktrees');
    const wm = new WorktreeManager({ repoPath: repo, worktreesRoot });
    const live = await wm.create({ team: 'j', agent: 'live', baseRef: 'main' });
    const done = await wm.create({ team: 'j', agent: 'done', baseRef: 'main' });
    const failed = await wm.create({ team: 'j', agent: 'failed', baseRef: 'main' });
    await wm.setStatus(failed.path, 'failed');
    const status = new Map([
      [agentAddress('j', 'live'), 'idle'],
      [agentAddress('j', 'done'), 'stopped'],
      [agentAddress('j', 'failed'), 'failed'],
    ]);
    const events = new EventLog(env.dataSource);
    const connection = env.redis.duplicate({ maxRetriesPerRequest: null });
    const janitor = new WorktreeJanitor({
      connection,
      prefix: `${env.keyPrefix}:bull`,
      worktreesRoot,
      policy: { onMerged: true, ttlMs: 0, keepFailed: true },
      everyMs: 200,
      // a repository deleted since its agents ran comes first: it is reported, the next one still cleaned
      repos: async () => [join(worktreesRoot, 'deleted-repo'), repo],
      agentStatus: async (a) => status.get(a),
      events,
    });
    try {
      await janitor.start();
      expect(await janitor.scheduled()).toBe(1);
      const end = Date.now() + 15000;
      while (existsSync(done.path) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(done.path)).toBe(false);
      expect(existsSync(live.path)).toBe(true);
      expect(existsSync(failed.path)).toBe(true);
      const again = await janitor.runOnce();
      expect(again[join(worktreesRoot, 'deleted-repo')].error).toEqual(expect.any(String));
      expect(again[repo].removed).toEqual([]);
      expect(again[repo].failed).toEqual([]);
      await events.flush();
      const removed = await events.list({ type: 'worktree.removed' });
      expect(removed.map((e) => e.agent)).toEqual([agentAddress('j', 'done')]);
      expect((await events.list({ type: 'worktree.cleanup_failed' }))[0]?.data).toMatchObject({ repo: join(worktreesRoot, 'deleted-repo') });
    } finally {
      await janitor.close();
      connection.disconnect();
    }
  }, 30000);
});
