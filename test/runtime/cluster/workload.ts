import { hasErrorCode } from '@godel/actors';
import type { CounterState } from '@godel/testing';
import type { BuiltRuntime } from '../../../apps/godel/src';

/**
 * Tells to counters, each with its own envelope id; a tell refused with `mailbox.unavailable`
 * (a master failing over, a slot moving) is retried WITH THE SAME ID until acknowledged, as a
 * client must (docs/adr/0004): the send script's marker makes the retry harmless if the first try
 * was applied. `acknowledged` counts each tell once, when a send finally resolved.
 */
export class CounterWorkload {
  readonly acknowledged: Map<string, number>;
  /** When each counter's last tell was acknowledged (ms, Date.now()). */
  readonly lastAckAt = new Map<string, number>();
  refused = 0;
  /** Refusals by error code/message (every one retried with the same id). */
  readonly refusals = new Map<string, number>();
  private running = true;
  private loop?: Promise<void>;

  constructor(
    private readonly sender: BuiltRuntime,
    readonly counters: string[],
  ) {
    this.acknowledged = new Map(counters.map((c) => [c, 0]));
  }

  start(): void {
    let round = 0;
    this.loop = (async () => {
      while (this.running) {
        const r = round++;
        await Promise.all(this.counters.map((c) => this.tellOnce(c, `wl-${c.replace('/', '_')}-${r}`)));
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
  }

  private async tellOnce(counter: string, id: string): Promise<void> {
    const end = Date.now() + 60_000;
    for (;;) {
      try {
        await this.sender.system.tell(counter, 'inc', { by: 1 }, { id });
        this.acknowledged.set(counter, this.acknowledged.get(counter)! + 1);
        this.lastAckAt.set(counter, Date.now());
        return;
      } catch (err) {
        // Any refusal is retried with the same id (harmless by the send script's marker); counted by kind.
        if (Date.now() > end) throw err;
        const kind = hasErrorCode(err, 'mailbox.unavailable') ? 'mailbox.unavailable' : String((err as Error)?.message ?? err).slice(0, 80);
        this.refusals.set(kind, (this.refusals.get(kind) ?? 0) + 1);
        this.refused++;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  total(): number {
    return [...this.acknowledged.values()].reduce((a, b) => a + b, 0);
  }

  /** Waits until every mailbox is empty, then compares each counter with its acknowledged tells. */
  async check(): Promise<{ lost: number; duplicated: number; states: CounterState[] }> {
    await waitFor(async () => (await Promise.all(this.counters.map((c) => this.sender.system.depth(c)))).every((d) => d === 0), 60_000);
    const states = await Promise.all(this.counters.map((c) => this.sender.system.ask<CounterState>(c, 'get', {}, 15_000)));
    let lost = 0;
    let duplicated = 0;
    this.counters.forEach((c, i) => {
      const diff = states[i].count - this.acknowledged.get(c)!;
      if (diff < 0) lost -= diff;
      else duplicated += diff;
    });
    return { lost, duplicated, states };
  }
}

export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // a probe failing during a failover: try again
    }
    if (Date.now() > end) throw new Error(`${what} not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
