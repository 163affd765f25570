import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { adoptSlot, createSlot, removeSlot, type AdoptedSlot } from '@godel/workspace';
import type { PiRpcProcess } from '../pi/pi-rpc-process';
import type { Admission } from './admission';
import { ownPoolDir, releasePoolDir, removeOrphans } from './warm-pool-dirs';
import { poolKey, poolSizeFor, type PoolConfig, type PoolTemplate } from './warm-pool-config';

/** One pre-started process: its folders (agent root, worktree slot) and its pi. */
export interface PoolSlot {
  id: string;
  /** Admission identity while pooled (`pool:<id>`). */
  admissionId: string;
  key: string;
  template: PoolTemplate;
  /** The slot's own folder (pi dir, sessions, scratch home) as the process sees it. */
  root: string;
  /** The detached worktree the process runs in. */
  worktree: string;
  pi?: PiRpcProcess;
  state: 'filling' | 'idle' | 'claimed' | 'gone';
}

export interface WarmPoolDeps {
  /** The host's folder: slots live in `<rootDir>/.pool/<pid>-<random>/` (warm-pool-dirs). */
  rootDir: string;
  config: PoolConfig;
  admission: Admission;
  /** Starts the sandboxed pi of a slot (its folders exist; the worktree is checked out). */
  launch(slot: PoolSlot): Promise<PiRpcProcess>;
  /** Pool facts for the event log (`agent.pool_*`). */
  record(type: string, data: Record<string, unknown>): void;
  /** Deadline of the liveness check before a slot is handed out. Default 2 s. */
  pingTimeoutMs?: number;
}

export interface ClaimRequest {
  team: string;
  name: string;
  baseRef: string;
  worktreesRoot: string;
  sharedDirs?: readonly string[];
}

interface Pool {
  template: PoolTemplate;
  idle: PoolSlot[];
  filling: number;
  /** Consecutive failed fills: the pool backs off after a few. */
  failures: number;
  retryAt: number;
  /** Set by `want(template, size)`, over the configuration. */
  size?: number;
  /** When agents of this kind were last wanted (a claim, a cold start, `want`): idle pools shrink. */
  lastUsed: number;
  /** When a process of this pool last became idle (a process is stopped only after idling `idleMs`). */
  lastIdle: number;
}

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
   * undefined at once when none is ready or the adoption failed (that slot is discarded).
   */
  async claim(template: PoolTemplate, req: ClaimRequest, agentRoot: string): Promise<{ slot: PoolSlot; worktree: AdoptedSlot } | undefined> {
    this.want(template);
    const pool = this.pools.get(poolKey(template));
    while (pool && pool.idle.length > 0) {
      const slot = pool.idle.shift()!;
      slot.state = 'claimed';
      const alive = slot.pi?.running && (await slot.pi.getState({ timeoutMs: this.deps.pingTimeoutMs ?? 2000 }).then(() => true, () => false));
      if (!alive) {
        this.deps.record('agent.pool_discarded', { slot: slot.id, reason: 'not answering' });
        await this.discard(slot);
        continue;
      }
      try {
        const worktree = await adoptSlot({ repoPath: template.repo, slot: slot.worktree, worktreesRoot: req.worktreesRoot, team: req.team, agent: req.name, baseRef: req.baseRef, sharedDirs: req.sharedDirs, adoptBranchAtBase: true });
        await rename(slot.root, agentRoot);
        this.slots.delete(slot);
        this.kick();
        return { slot, worktree };
      } catch (err) {
        this.deps.record('agent.pool_discarded', { slot: slot.id, reason: (err as Error).message });
        await this.discard(slot);
        this.kick();
        if ((err as { code?: string }).code === 'workspace.already_exists' || (err as { code?: string }).code === 'workspace.unknown_ref') throw err;
        return undefined;
      }
    }
    return undefined;
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
        if (Date.now() < pool.retryAt || busy >= fillers || pooled >= (this.deps.config.max ?? Infinity) || !this.deps.admission.spare()) break;
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
      await createSlot({ repoPath: pool.template.repo, path: slot.worktree });
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
