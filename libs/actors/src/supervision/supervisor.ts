import type { ChildSpec, ChildStatus } from './child-spec';
import type { Clock, TimerHandle } from './clock';
import { DuplicateChildError } from './duplicate-child-error';
import type { SupervisionDecision, SupervisorStrategy } from './strategy';
import { errorMessage, supervisionEvent, type RootEscalation, type SupervisionEvent } from './supervision-event';

export interface SupervisorOptions {
  /** Every decision, as it is taken. A listener that throws is ignored. */
  onEvent?: (event: SupervisionEvent) => void;
  /** A supervisor without a (registered) parent had to escalate; all its children are stopped. */
  onEscalatedToRoot?: (escalation: RootEscalation) => void;
  /** A child's `stop()` threw; the child counts as stopped anyway. */
  onStopFailed?: (child: string, error: unknown) => void;
  /** A child running this long without failing is healthy: its attempt counter is reset (default 60 s). */
  resetAfterMs?: number;
}

export const DEFAULT_RESET_AFTER_MS = 60_000;

interface ChildEntry {
  readonly spec: ChildSpec;
  status: ChildStatus;
  /** Identity of the restart that will start this `pending` child; a newer restart replaces it. */
  batch?: object;
  resetTimer?: TimerHandle;
}

/**
 * A node of the supervision tree: starts children in order, and carries out its strategy's decision
 * when one fails. Operations run one at a time in call order (a per-supervisor queue), so
 * `stop`/`start` of a child never interleave. Restarts wait `delayMs` on the clock. A supervisor is
 * a child of its parent through `asChildSpec()`; it escalates by reporting itself failed to it.
 */
export class Supervisor {
  private readonly entries = new Map<string, ChildEntry>(); // insertion order = start order
  private readonly timers = new Set<TimerHandle>();
  private tail: Promise<void> = Promise.resolve();
  private running = true;

  constructor(
    readonly name: string,
    readonly strategy: SupervisorStrategy,
    private readonly clock: Clock,
    readonly parent?: Supervisor,
    private readonly options: SupervisorOptions = {},
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  hasChild(id: string): boolean {
    return this.entries.has(id);
  }

  children(): { id: string; status: ChildStatus }[] {
    return [...this.entries].map(([id, e]) => ({ id, status: e.status }));
  }

  /** Adds a child after the existing ones and starts it (if this supervisor is running). */
  startChild(spec: ChildSpec): Promise<void> {
    return this.enqueue(async () => {
      if (this.entries.has(spec.id)) throw new DuplicateChildError(this.name, spec.id);
      this.entries.set(spec.id, { spec, status: 'stopped' });
      if (this.running) await this.startEntry(spec.id);
    });
  }

  /** Stops a child and removes it; unknown ids are ignored. */
  stopChild(id: string, reason = 'shutdown'): Promise<void> {
    return this.enqueue(() => this.stopAndRemove([id], reason));
  }

  /** Reports a failure of a running child; reports about unknown or not-running children are stale and ignored. */
  childFailed(id: string, error: unknown): Promise<void> {
    return this.enqueue(async () => {
      if (this.running && this.entries.get(id)?.status === 'running') await this.handleFailure(id, error);
    });
  }

  /** Starts every stopped child in order; after a `stop`, with fresh attempt counters and restart windows. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.running) for (const id of this.entries.keys()) this.strategy.forget(id);
      this.running = true;
      for (const id of [...this.entries.keys()]) {
        if (this.running && this.entries.get(id)?.status === 'stopped') await this.startEntry(id);
      }
    });
  }

  /** Cancels pending restarts and stops every child in reverse start order; children stay registered. */
  stop(reason = 'shutdown'): Promise<void> {
    return this.enqueue(() => this.stopAll(reason));
  }

  /** This supervisor as a child of another: a parent restart restarts the whole subtree. */
  asChildSpec(): ChildSpec {
    return { id: this.name, start: () => this.start(), stop: (reason) => this.stop(reason) };
  }

  /**
   * Resolves once neither this supervisor nor any ancestor has an operation queued or running, so
   * an escalation has been decided and applied above. Restarts still waiting on the clock don't count.
   */
  async whenIdle(): Promise<void> {
    for (;;) {
      const seen = this.tail;
      await seen;
      if (this.parent) await this.parent.whenIdle();
      if (seen === this.tail) return;
    }
  }

  private async handleFailure(id: string, error: unknown): Promise<void> {
    let decision: SupervisionDecision;
    try {
      decision = this.strategy.decide(id, [...this.entries.keys()], error, this.clock.now());
    } catch (e) {
      const attempt = this.strategy.attemptsOf(id);
      decision = { directive: 'escalate', affected: [], delayMs: 0, attempt, reason: `strategy failed: ${errorMessage(e)}` };
    }
    this.guard(() => this.options.onEvent?.(supervisionEvent(this.name, id, decision, error)));
    switch (decision.directive) {
      case 'resume': {
        const entry = this.entries.get(id);
        if (entry?.status === 'running') this.armReset(id, entry);
        return;
      }
      case 'stop':
        return this.stopAndRemove(decision.affected, 'stop');
      case 'restart':
        return this.restart(decision.affected, decision.delayMs);
      case 'escalate':
        return this.escalate(id, error, decision.reason);
    }
  }

  private async restart(affected: string[], delayMs: number): Promise<void> {
    for (const id of [...affected].reverse()) await this.stopEntry(id, 'restart');
    const batch = {};
    for (const id of affected) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      entry.status = 'pending';
      entry.batch = batch;
    }
    this.schedule(delayMs, () => void this.enqueue(() => this.startBatch(affected, batch)));
  }

  private async startBatch(ids: string[], batch: object): Promise<void> {
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (this.running && entry?.status === 'pending' && entry.batch === batch) await this.startEntry(id);
    }
  }

  private async escalate(child: string, error: unknown, reason?: string): Promise<void> {
    if (this.parent?.hasChild(this.name)) {
      // Not awaited: the parent's decision may stop this supervisor, which queues behind this operation.
      void this.parent.childFailed(this.name, error);
      return;
    }
    await this.stopAll('escalate');
    this.guard(() => this.options.onEscalatedToRoot?.({ supervisor: this.name, child, error, reason }));
  }

  private async startEntry(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.status = 'starting';
    entry.batch = undefined;
    try {
      await entry.spec.start();
    } catch (error) {
      entry.status = 'stopped';
      return this.handleFailure(id, error);
    }
    entry.status = 'running';
    this.armReset(id, entry);
  }

  /** (Re)starts the healthy-for-resetAfterMs countdown; stopping the child cancels it. */
  private armReset(id: string, entry: ChildEntry): void {
    if (entry.resetTimer) this.cancel(entry.resetTimer);
    const resetAfterMs = this.options.resetAfterMs ?? DEFAULT_RESET_AFTER_MS;
    entry.resetTimer = Number.isFinite(resetAfterMs)
      ? this.schedule(resetAfterMs, () => this.strategy.reset(id))
      : undefined;
  }

  private async stopEntry(id: string, reason: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    const wasRunning = entry.status === 'running';
    if (entry.resetTimer) this.cancel(entry.resetTimer);
    entry.status = 'stopped';
    entry.batch = undefined;
    entry.resetTimer = undefined;
    if (!wasRunning) return;
    try {
      await entry.spec.stop(reason);
    } catch (error) {
      this.guard(() => this.options.onStopFailed?.(id, error));
    }
  }

  private async stopAndRemove(ids: string[], reason: string): Promise<void> {
    for (const id of [...ids].reverse()) {
      await this.stopEntry(id, reason);
      this.entries.delete(id);
      this.strategy.forget(id);
    }
  }

  private async stopAll(reason: string): Promise<void> {
    this.running = false;
    for (const handle of this.timers) this.clock.clearTimeout(handle);
    this.timers.clear();
    for (const id of [...this.entries.keys()].reverse()) await this.stopEntry(id, reason);
  }

  private schedule(ms: number, fn: () => void): TimerHandle {
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  private cancel(handle: TimerHandle): void {
    this.clock.clearTimeout(handle);
    this.timers.delete(handle);
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const result = this.tail.then(op);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Listener callbacks must not break supervision. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch {
      // ignored by design, see SupervisorOptions
    }
  }
}
