import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { adoptSlot, createSlot, planAdoption, removeSlot, type AdoptedSlot, type AdoptionPlan } from '@godel/workspace';
import { ownPoolDir, releasePoolDir, removeOrphans } from './warm-pool-dirs';
import { poolKey, poolSizeFor, type PoolTemplate } from './warm-pool-config';
import type { ClaimPhases, ClaimRequest, Pool, PoolSlot, WarmPoolDeps } from './warm-pool-types';

export type { ClaimPhases, ClaimRequest, PoolSlot, WarmPoolDeps } from './warm-pool-types';

/** Default of `PoolConfig.idleMs`: a kind not claimed for 10 minutes has its pooled processes stopped. */
export const DEFAULT_POOL_IDLE_MS = 10 * 60_000;

/**
 * The warm pool (issue 13): per kind of agent (repository, role, providers — `poolKey`), sandboxed
 * `pi` processes started ahead of time in detached worktree slots. A claim takes an idle process
 * that still answers (a dead one is discarded, never handed out) and adopts its slot as the agent's
 * worktree; it never waits for a refill (no process → undefined: the caller starts cold). Refills
 * run in the background only when admission has room to spare (`Admission.spare`), and pooled
 * processes count as live agents; `evictOne` makes room when real starts hit the live cap.
 */
export class WarmPool {
  private readonly pools = new Map<string, Pool>();
  private readonly slots = new Set<PoolSlot>();
  private timer?: NodeJS.Timeout;
  private readonly sweeper?: NodeJS.Timeout;
  private closed = false;
  private readonly base: string;
  /** Claims under way, and when the last one ended: refills wait for a quiet moment (`refillQuietMs`). */
  private claiming = 0;
  private lastClaim = 0;

  constructor(private readonly deps: WarmPoolDeps) {
    this.base = ownPoolDir(deps.rootDir);
    // Slots a crashed server left behind (its processes died with it): git's records and folders.
    void removeOrphans(deps.rootDir).then(
      (r) => r.pools > 0 && deps.record('agent.pool_orphans_removed', r),
      (err: unknown) => deps.record('agent.pool_orphans_failed', { error: (err as Error).message }),
    );
    const idleMs = deps.config.idleMs ?? DEFAULT_POOL_IDLE_MS;
    if (idleMs > 0) {
      this.sweeper = setInterval(() => this.shrink(idleMs), Math.max(100, Math.min(60_000, Math.floor(idleMs / 4))));
      this.sweeper.unref();
    }
  }

  /** Pooled processes: ready to claim, and being started. */
  stats(): { idle: number; filling: number } {
    let idle = 0;
    let filling = 0;
    for (const p of this.pools.values()) {
      idle += p.idle.length;
      filling += p.filling;
    }
    return { idle, filling };
  }

  /** The pids of the idle pooled processes (for operators and tests). */
  idlePids(): number[] {
    return [...this.pools.values()].flatMap((p) => p.idle.map((s) => s.pi!.pid));
  }

  /**
   * Agents of this kind are wanted here: keep its pool filled (a no-op when its size is 0). `size`
   * overrides the configured size of this kind from now on (0 empties it).
   */
  want(template: PoolTemplate, size?: number): void {
    const key = poolKey(template);
    const known = this.pools.get(key);
    if (this.closed || (size ?? known?.size ?? poolSizeFor(this.deps.config, template)) <= 0) {
      for (const slot of known?.idle.splice(0) ?? []) void this.discard(slot);
      if (known) known.size = 0;
      return;
    }
    if (!known) this.pools.set(key, { template, idle: [], filling: 0, failures: 0, retryAt: 0, size, lastUsed: Date.now(), lastIdle: 0 });
    else {
      known.lastUsed = Date.now();
      if (size !== undefined) known.size = size;
    }
    this.kick();
  }

  /**
   * Takes a live idle process of this kind and makes its slot the agent's worktree (`adopt`), or
   * undefined at once when none is ready or the adoption failed (that slot is discarded). A claim the
   * repository refuses (`workspace.already_exists` / `unknown_ref`, thrown) leaves the slot idle.
   * Its phases: the process's liveness check side by side with the repository's checks (shared by
   * the claims under way, see `planAdoption`), then one git process in the slot.
   */
  async claim(template: PoolTemplate, req: ClaimRequest, agentRoot: string): Promise<{ slot: PoolSlot; worktree: AdoptedSlot; phases: ClaimPhases } | undefined> {
    this.want(template);
    const pool = this.pools.get(poolKey(template));
    if (!pool || pool.idle.length === 0) return undefined;
    this.claiming++;
    try {
      return await this.claimFrom(pool, template, req, agentRoot);
    } finally {
      this.claiming--;
      this.lastClaim = Date.now();
      this.kick();
    }
  }

  private async claimFrom(pool: Pool, template: PoolTemplate, req: ClaimRequest, agentRoot: string): Promise<{ slot: PoolSlot; worktree: AdoptedSlot; phases: ClaimPhases } | undefined> {
    // The repository's checks run while the slot's process is asked whether it still answers.
    const t0 = Date.now();
    const planned = planAdoption({ repoPath: template.repo, repo: pool.idle[0].repo, worktreesRoot: req.worktreesRoot, team: req.team, agent: req.name, baseRef: req.baseRef, sharedDirs: req.sharedDirs, adoptBranchAtBase: true }).then(
      (plan) => ({ plan, ms: Date.now() - t0 }),
      (err: unknown) => ({ err: err as Error & { code?: string }, ms: Date.now() - t0 }),
    );
    while (pool.idle.length > 0) {
      const slot = pool.idle.shift()!;
      slot.state = 'claimed';
      const t1 = Date.now();
      let pingMs = 0;
      const ping = slot.pi?.running ? slot.pi.getState({ timeoutMs: this.deps.pingTimeoutMs ?? 2000 }).then(() => true, () => false) : Promise.resolve(false);
      const [alive, got] = await Promise.all([ping.finally(() => (pingMs = Date.now() - t1)), planned]);
      if (!alive) {
        this.deps.record('agent.pool_discarded', { slot: slot.id, reason: 'not answering' });
        await this.discard(slot);
        continue;
      }
      if ('err' in got) {
        // Nothing wrong with the slot: it waits for the next claim.
        this.putBack(pool, slot);
        if (got.err.code === 'workspace.already_exists' || got.err.code === 'workspace.unknown_ref') throw got.err;
        return undefined;
      }
      const t2 = Date.now();
      try {
        const worktree = await adoptSlot({ repoPath: template.repo, slot: slot.worktree, worktreesRoot: req.worktreesRoot, team: req.team, agent: req.name, baseRef: req.baseRef, adoptBranchAtBase: true, plan: got.plan as AdoptionPlan });
        await rename(slot.root, agentRoot);
        this.slots.delete(slot);
        return { slot, worktree, phases: { pingMs, planMs: got.ms, adoptMs: Date.now() - t2 } };
      } catch (err) {
        // The agent's branch has other work: git refused before touching the slot, which waits for the next claim.
        if ((err as { details?: { slotUntouched?: boolean } }).details?.slotUntouched) {
          this.putBack(pool, slot);
          throw err;
        }
        this.deps.record('agent.pool_discarded', { slot: slot.id, reason: (err as Error).message });
        await this.discard(slot);
        if ((err as { code?: string }).code === 'workspace.already_exists' || (err as { code?: string }).code === 'workspace.unknown_ref') throw err;
        return undefined;
      }
    }
    return undefined;
  }

  /** A slot taken for a claim that did not happen (not its fault): idle again when its process still runs. */
  private putBack(pool: Pool, slot: PoolSlot): void {
    const wanted = this.pools.get(slot.key) === pool && (pool.size ?? poolSizeFor(this.deps.config, pool.template)) > pool.idle.length;
    if (this.closed || !wanted || !slot.pi?.running) return void this.discard(slot);
    slot.state = 'idle';
    pool.idle.unshift(slot);
  }

  /** Stops one idle pooled process (the largest pool's) to free a live place. False when none. */
  evictOne(): boolean {
    const pool = [...this.pools.values()].filter((p) => p.idle.length > 0).sort((a, b) => b.idle.length - a.idle.length)[0];
    const slot = pool?.idle.pop();
    if (!slot) return false;
    slot.state = 'claimed';
    this.deps.record('agent.pool_discarded', { slot: slot.id, reason: 'evicted: live agents at the cap' });
    void this.discard(slot);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.all([...this.slots].map((s) => this.discard(s)));
    await releasePoolDir(this.base).catch(() => undefined);
  }

  /**
   * Kinds not wanted for `idleMs`, whose processes all idled that long: those are stopped and the
   * pool forgotten (a later claim or cold start of the kind brings it back).
   */
  private shrink(idleMs: number): void {
    const now = Date.now();
    for (const [key, pool] of this.pools) {
      if (pool.filling > 0 || now - Math.max(pool.lastUsed, pool.lastIdle) < idleMs) continue;
      this.pools.delete(key);
      const stopped = pool.idle.splice(0);
      for (const slot of stopped) void this.discard(slot);
      if (stopped.length > 0) this.deps.record('agent.pool_shrunk', { role: pool.template.role, stopped: stopped.length, unusedMs: now - pool.lastUsed });
    }
  }

  private kick(): void {
    if (this.closed) return;
    this.timer ??= setInterval(() => this.tick(), 200);
    this.timer.unref();
    setImmediate(() => this.tick());
  }

  private tick(): void {
    if (this.closed) return;
    // Claims first: a refill's pi start (seconds of CPU) would slow claims under way down. The
    // 200 ms ticker keeps running while a pool is short, so the refill starts once claims pause.
    const quiet = this.claiming === 0 && Date.now() - this.lastClaim >= (this.deps.refillQuietMs ?? 500);
    const { idle, filling } = this.stats();
    const stats = this.deps.admission.stats();
    const fillers = Math.max(1, stats.startConcurrency - 1);
    let pooled = idle + filling;
    let busy = filling;
    let deficit = false;
    for (const [key, pool] of this.pools) {
      const target = pool.size ?? poolSizeFor(this.deps.config, pool.template);
      while (pool.idle.length + pool.filling < target) {
        deficit = true;
        if (!quiet || Date.now() < pool.retryAt || busy >= fillers || pooled >= (this.deps.config.max ?? Infinity) || !this.deps.admission.spare()) break;
        const id = randomUUID().slice(0, 12);
        if (!this.deps.admission.tryAcquire(`pool:${id}`)) break;
        pooled++;
        busy++;
        void this.fill(key, pool, id);
      }
    }
    if (!deficit && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async fill(key: string, pool: Pool, id: string): Promise<void> {
    const base = this.base;
    const slot: PoolSlot = { id, admissionId: `pool:${id}`, key, template: pool.template, root: join(base, `agent-${id}`), worktree: join(base, `slot-${id}`), state: 'filling' };
    pool.filling++;
    this.slots.add(slot);
    try {
      await mkdir(join(slot.root, 'sessions'), { recursive: true });
      slot.repo = (await createSlot({ repoPath: pool.template.repo, path: slot.worktree })).repo;
      slot.pi = await this.deps.launch(slot);
      // Closed, or the kind's pool shrunk away, meanwhile.
      if (slot.state !== 'filling' || this.pools.get(key) !== pool) return void (await this.discard(slot));
      this.deps.admission.started(slot.admissionId);
      pool.failures = 0;
      slot.state = 'idle';
      pool.idle.push(slot);
      pool.lastIdle = Date.now();
      const pi = slot.pi;
      void pi.exited.then((exit) => {
        if (slot.state !== 'idle') return;
        // Died while idle: never handed out, replaced.
        pool.idle.splice(pool.idle.indexOf(slot), 1);
        this.deps.record('agent.pool_discarded', { slot: id, reason: `exited while idle (code ${exit.code}, signal ${exit.signal})` });
        void this.discard(slot).then(() => this.kick());
      });
    } catch (err) {
      if (!this.closed) {
        pool.failures++;
        pool.retryAt = Date.now() + Math.min(60_000, 1000 * 2 ** pool.failures);
        this.deps.record('agent.pool_fill_failed', { slot: id, error: (err as Error).message, failures: pool.failures });
      }
      await this.discard(slot);
    } finally {
      pool.filling--;
      this.kick();
    }
  }

  /** Stops the slot's process, gives its admission place back and removes its folders. */
  private async discard(slot: PoolSlot): Promise<void> {
    const first = slot.state !== 'gone';
    slot.state = 'gone';
    this.slots.delete(slot);
    if (slot.pi?.running) await slot.pi.stop({ graceMs: 500 }).catch(() => undefined);
    if (!first) return;
    this.deps.admission.release(slot.admissionId);
    this.deps.admission.exited(slot.admissionId);
    await removeSlot({ repoPath: slot.template.repo, path: slot.worktree }).catch(() => undefined);
    await rm(slot.root, { recursive: true, force: true }).catch(() => undefined);
  }
}
