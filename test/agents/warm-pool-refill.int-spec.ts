/**
 * Warm pool refills wait for the claims (issue 13): a refill's pi start takes seconds of CPU, so it
 * begins only once no claim has run for `refillQuietMs`. Real: git worktree slots and their adoption,
 * admission. Fake: the pooled process (an object answering like an idle pi), so the test is about the
 * pool's timing, not pi's start-up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admission, WarmPool, type PoolTemplate } from '@godel/agents';
import { createSampleRepo } from '@godel/testing';

type Pi = Awaited<ReturnType<ConstructorParameters<typeof WarmPool>[0]['launch']>>;

let nextPid = 1_000_000;
/** An idle pi as the pool sees it: running, answers get_state, stops when asked. */
function fakePi(): Pi {
  let exit!: (e: { code: number | null; signal: string | null }) => void;
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => (exit = r));
  const pi = { pid: nextPid++, running: true, exited, getState: () => Promise.resolve({}), stop: () => ((pi.running = false), exit({ code: 0, signal: null }), Promise.resolve()) };
  return pi as unknown as Pi;
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 30000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('a claim holds refills back for refillQuietMs after it, then the pool fills again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'godel-pool-refill-'));
  const repo = await createSampleRepo(dir);
  const admission = new Admission({ startConcurrency: 4, maxAgents: 50 });
  const launches: number[] = [];
  const pool = new WarmPool({
    rootDir: join(dir, 'agents'),
    config: { size: 2 },
    admission,
    launch: () => (launches.push(Date.now()), Promise.resolve(fakePi())),
    record: () => undefined,
    refillQuietMs: 1500,
  });
  try {
    const kind: PoolTemplate = { repo, role: 'worker', providers: [{ provider: 'p', model: 'm' }], readRoots: [] };
    pool.want(kind);
    await waitFor('a full pool', () => pool.stats().idle === 2);
    const got = await pool.claim(kind, { team: 't', name: 'a', baseRef: 'HEAD', worktreesRoot: join(dir, 'worktrees') }, join(dir, 'agents', 'a'));
    expect(got?.worktree.branch).toBe('godel/t/a');
    const claimedAt = Date.now();
    await new Promise((r) => setTimeout(r, 600));
    // No refill while the claims may still run: one idle process, none starting.
    expect(pool.stats()).toEqual({ idle: 1, filling: 0 });
    await waitFor('the refill', () => pool.stats().idle === 2);
    expect(launches[launches.length - 1] - claimedAt).toBeGreaterThanOrEqual(1500);
  } finally {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
});
