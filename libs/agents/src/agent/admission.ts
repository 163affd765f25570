/** The capacity of one instance for agent processes: what placement across instances can read. */
export interface AdmissionStats {
  /** Process starts allowed at once (each `pi` burns ~1.5 s of CPU to start). */
  startConcurrency: number;
  /** Live agent processes this instance holds at most (by memory). */
  maxAgents: number;
  /** Processes running now (started and not exited). */
  live: number;
  /** Starts in progress (spawned, not yet ready). */
  starting: number;
  /** Starts waiting for a slot. */
  queued: number;
}

export interface AdmissionOptions {
  startConcurrency: number;
  maxAgents: number;
  /** Called with each waiting start's new position (1 = next) whenever it changes, and once when queued. */
  onPosition?: (agent: string, position: number, queued: number) => void;
}

interface Waiter {
  agent: string;
  grant: () => void;
  position: number;
}

/**
 * Admission control of process starts on one instance: at most `startConcurrency` starts at once,
 * at most `maxAgents` live processes. A start beyond either waits in a FIFO queue (its position
 * only shrinks) instead of competing for CPU and timing out; the readiness deadline of a process
 * counts from its spawn, after admission.
 *
 * A slot is held per agent: `acquire` → start the process → `started` (ready: now live) or
 * `release` (start failed / stopped). `exited` forgets a live process.
 */
export class Admission {
  private readonly queue: Waiter[] = [];
  private readonly starting = new Set<string>();
  private readonly live = new Set<string>();

  constructor(private readonly options: AdmissionOptions) {}

  stats(): AdmissionStats {
    return {
      startConcurrency: this.options.startConcurrency,
      maxAgents: this.options.maxAgents,
      live: this.live.size,
      starting: this.starting.size,
      queued: this.queue.length,
    };
  }

  /** Whether this agent holds a start slot already (admitted, not yet started). */
  holds(agent: string): boolean {
    return this.starting.has(agent);
  }

  /** The agent's place in the queue (1 = next), or undefined when it does not wait. */
  position(agent: string): number | undefined {
    const i = this.queue.findIndex((w) => w.agent === agent);
    return i < 0 ? undefined : i + 1;
  }

  /** Takes a start slot now if one is free (true), without queueing. */
  tryAcquire(agent: string): boolean {
    if (this.starting.has(agent)) return true;
    if (this.queue.length > 0 || !this.free()) return false;
    this.live.delete(agent);
    this.starting.add(agent);
    return true;
  }

  /**
   * Takes a start slot, waiting in line when none is free. Resolves once admitted; `onQueued` is
   * told the position when the start has to wait.
   */
  acquire(agent: string): Promise<void> {
    if (this.tryAcquire(agent)) return Promise.resolve();
    const existing = this.queue.find((w) => w.agent === agent);
    if (existing) return new Promise((resolve) => {
      const prev = existing.grant;
      existing.grant = () => {
        prev();
        resolve();
      };
    });
    return new Promise((resolve) => {
      const w: Waiter = { agent, grant: resolve, position: this.queue.length + 1 };
      this.queue.push(w);
      this.options.onPosition?.(agent, w.position, this.queue.length);
    });
  }

  /** The process became ready: it counts as live, its start slot frees. */
  started(agent: string): void {
    this.starting.delete(agent);
    this.live.add(agent);
    this.pump();
  }

  /** The start failed or was abandoned (also drops a waiting start). */
  release(agent: string): void {
    const i = this.queue.findIndex((w) => w.agent === agent);
    if (i >= 0) this.queue.splice(i, 1);
    this.starting.delete(agent);
    this.pump();
  }

  /** A live process ended. */
  exited(agent: string): void {
    this.live.delete(agent);
    this.pump();
  }

  /** Whether a start could begin now (used by low-priority work such as refilling a warm pool). */
  idle(): boolean {
    return this.queue.length === 0 && this.free();
  }

  /**
   * Room for background starts (the warm pool's refills): nobody waits, a start slot is free and
   * one live place stays free for a real start.
   */
  spare(): boolean {
    return this.idle() && this.live.size + this.starting.size + 1 < this.options.maxAgents;
  }

  /** Whether starts wait because the live cap is reached (not only the start concurrency). */
  full(): boolean {
    return this.live.size + this.starting.size >= this.options.maxAgents;
  }

  /** A live process changes owner (a pooled process claimed by an agent). */
  transfer(from: string, to: string): void {
    if (!this.live.delete(from)) return;
    this.live.add(to);
  }

  private free(): boolean {
    return this.starting.size < this.options.startConcurrency && this.live.size + this.starting.size < this.options.maxAgents;
  }

  private pump(): void {
    let moved = false;
    while (this.queue.length > 0 && this.free()) {
      const w = this.queue.shift()!;
      this.live.delete(w.agent);
      this.starting.add(w.agent);
      w.grant();
      moved = true;
    }
    if (!moved) return;
    this.queue.forEach((w, i) => {
      if (w.position === i + 1) return;
      w.position = i + 1;
      this.options.onPosition?.(w.agent, w.position, this.queue.length);
    });
  }
}

/** Default start concurrency: one start per core (pi's start is CPU-bound), at least one. */
export function defaultStartConcurrency(cores: number): number {
  return Math.max(1, cores);
}

/** Default agent cap: total memory less 1 GiB headroom, at ~180 MB per sandboxed pi (bwrap + pi RSS measured), at least one. */
export function defaultMaxAgents(totalMemBytes: number, perAgentBytes = 180 * 1024 * 1024): number {
  return Math.max(1, Math.floor((totalMemBytes - 1024 * 1024 * 1024) / perAgentBytes));
}
