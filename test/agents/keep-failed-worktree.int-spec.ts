/**
 * GODEL_KEEP_FAILED_WORKTREES: an agent that fails keeps its worktree, marked `failed` in the
 * worktree's metadata, so the janitor's keepFailed policy leaves it for inspection; with the setting
 * off the worktree goes. Real: the agent actor on the runtime over Redis and PostgreSQL, git
 * worktrees of a temp repository; the failure is a command runtime whose executable does not exist.
 * Mocked: nothing.
 */
import { existsSync } from 'node:fs';
import { agentAddress, type AgentState } from '@godel/agents';
import { WorktreeManager } from '@godel/workspace';
import { join } from 'node:path';
import { createAgentFixture, type AgentFixture } from './agent-fixture';

const MISSING_CLI = { kind: 'command', dialect: 'claude', command: '/nonexistent/godel-test/claude' };

describe('failed agents and their worktrees', () => {
  let f: AgentFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('keeps a failed agent’s worktree, marked failed (default on)', async () => {
    f = await createAgentFixture({});
    const a = agentAddress('kf', 'w1');
    const s = await f.start(a, { runtime: MISSING_CLI });
    const failed = s.status === 'failed' ? s : await f.until(a, (x: AgentState) => x.status === 'failed');
    expect(failed.worktree).toBeDefined();
    expect(existsSync(failed.worktree!)).toBe(true);
    const wm = new WorktreeManager({ repoPath: f.repo, worktreesRoot: join(f.root, 'worktrees') });
    const wt = (await wm.list()).find((w) => w.path === failed.worktree);
    expect(wt?.metadata?.status).toBe('failed');
    // the janitor's policy keeps it even when everything else would expire
    const report = await wm.cleanup({ policy: { onMerged: true, ttlMs: 0, keepFailed: true }, isLive: async () => false });
    expect(report.kept).toEqual([expect.objectContaining({ path: failed.worktree, reason: 'failed' })]);
  }, 60_000);

  it('removes it when GODEL_KEEP_FAILED_WORKTREES is off', async () => {
    f = await createAgentFixture({}, { agent: { keepFailedWorktrees: false } });
    const a = agentAddress('kf', 'w2');
    const s = await f.start(a, { runtime: MISSING_CLI });
    const failed = s.status === 'failed' ? s : await f.until(a, (x: AgentState) => x.status === 'failed');
    expect(failed.worktree).toBeUndefined();
    expect(existsSync(join(f.root, 'worktrees', 'kf', 'w2'))).toBe(false);
  }, 60_000);
});
