/**
 * Warm pool hygiene (issue 13): the pool of a kind no longer claimed shrinks (its idle pi processes
 * are stopped after `idleMs`), and slots a crashed server left behind are removed when a pool starts
 * on the same folder. Real: pi in bubblewrap, git worktrees, Redis, PostgreSQL, the scripted model.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AgentProcessHost, agentAddress, locatePiBin } from '@godel/agents';
import { EventLog } from '@godel/persistence';
import { createSlot } from '@godel/workspace';
import { createAgentFixture, git, type AgentFixture } from './agent-fixture';

const IDLE_MS = 3000;

/** A pid no process has now: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { env: { PATH: dirname(process.execPath) } });
  return Number(r.stdout.toString());
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 60000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('warm pool hygiene', () => {
  let f: AgentFixture;
  beforeAll(async () => {
    f = await createAgentFixture({ hi: [{ text: 'hello' }] }, { pool: { size: 1, idleMs: IDLE_MS }, agent: { heartbeatMs: 1000 } });
  }, 60000);
  afterAll(async () => f?.close(), 120000);

  const template = () => ({ repo: f.repo, role: 'worker', providers: f.providers, readRoots: [] });

  it('stops the idle processes of a kind not claimed for idleMs, and a later claim of the kind brings the pool back', async () => {
    f.host.warm(template());
    await waitFor('the pool to fill', () => f.host.poolPids().length === 1, 120000);
    const [pid] = f.host.poolPids();
    const filledAt = Date.now();
    await waitFor('the pool to shrink', () => f.host.poolPids().length === 0 && !alive(pid), 60000);
    // Not before the kind was idle for idleMs (the sweep runs every idleMs / 4).
    expect(Date.now() - filledAt).toBeGreaterThanOrEqual(IDLE_MS - 1000);
    await f.events.flush();
    const shrunk = await f.events.list({ agent: 'pool', type: 'agent.pool_shrunk' });
    expect(shrunk.length).toBeGreaterThan(0);
    expect(shrunk[0].data.stopped).toBe(1);
    // Its admission place is given back once the stop has finished (a moment after the pid is gone).
    await waitFor('its admission place to be given back', () => f.host.capacity().live === 0, 10000);
    // A cold start of the kind teaches the pool again.
    const a = agentAddress('hyg', 'one');
    expect((await f.start(a, { prompt: '[script:hi] say hello' })).status).not.toBe('failed');
    await waitFor('the pool to refill', () => f.host.poolPids().length === 1, 120000);
    await f.rt.system.ask(a, 'agent.stop', {}, 60000);
  }, 300000);

  it('removes the slots of a crashed server (worktree records too) when a pool starts on its folder, and leaves live pools alone', async () => {
    const rootDir = join(f.root, 'agents');
    const events = new EventLog(f.env.dataSource);
    const hostDeps = () => ({
      tell: async () => undefined,
      events,
      rootDir,
      piBin: locatePiBin(__dirname)!,
      baseEnv: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: join(f.root, 'home') },
    });
    // A live pool on the same folder (another host of this process, its pool never shrinks).
    const live = new AgentProcessHost({ ...hostDeps(), pool: { size: 1, idleMs: 0 } });
    // The server comes back: a new host on the same folder.
    let again: AgentProcessHost | undefined;
    try {
      live.warm(template());
      await waitFor('the live pool to fill', () => live.poolPids().length === 1, 120000);
      const [livePid] = live.poolPids();
      const liveSlots = () => git(f.repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => /\/\.pool\/\d+-[0-9a-f]{8}\/slot-/.test(l));
      const before = liveSlots();
      expect(before.length).toBeGreaterThanOrEqual(1);
      // What a server killed with its pool filled leaves: a slot (a real detached worktree) and the slot's agent folder.
      const orphan = join(rootDir, '.pool', `${deadPid()}-deadbeef`);
      const slot = join(orphan, 'slot-x1');
      await createSlot({ repoPath: f.repo, path: slot });
      mkdirSync(join(orphan, 'agent-x1', 'sessions'), { recursive: true });
      writeFileSync(join(orphan, 'agent-x1', 'sessions', 's.jsonl'), '{}\n');
      expect(git(f.repo, 'worktree', 'list', '--porcelain')).toContain(slot);
      again = new AgentProcessHost({ ...hostDeps(), pool: { size: 0 } });
      await waitFor('the orphan pool to be removed', () => !existsSync(orphan), 30000);
      expect(git(f.repo, 'worktree', 'list', '--porcelain')).not.toContain(slot);
      expect(existsSync(join(f.repo, '.git', 'worktrees', 'slot-x1'))).toBe(false);
      // The live pool keeps its process and its slot.
      expect(live.poolPids()).toEqual([livePid]);
      expect({ livePid, alive: alive(livePid) }).toEqual({ livePid, alive: true });
      expect(liveSlots()).toEqual(expect.arrayContaining(before));
      await events.flush();
      const removed = await events.list({ agent: 'pool', type: 'agent.pool_orphans_removed' });
      expect(removed.map((e) => e.data)).toContainEqual(expect.objectContaining({ slots: 1 }));
    } finally {
      await again?.stopAll();
      await live.stopAll();
    }
  }, 300000);
});
