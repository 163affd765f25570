import type { ChainableCommander } from 'ioredis';
import { keySlot } from './cluster-nodes';
import { isCluster, type RedisClient } from './redis-client';
import type { ScriptName } from './scripts';

type ScriptPipeline = ChainableCommander & Record<ScriptName, (...args: Array<string | number>) => ChainableCommander>;

interface Call {
  key: string;
  add: (p: ScriptPipeline) => void;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Commands issued during one turn of the event loop leave in one pipeline — one socket write —
 * instead of one write (one syscall) each: at 2,000 asks/s a per-reply write was the largest single
 * cost of a turn (issue 13, server CPU profile). The batch is flushed on `setImmediate`, never on a
 * timer: a lone command waits for nothing but the current turn. On a Redis Cluster a pipeline must
 * stay in one slot, so calls are grouped by their key's slot. Each call settles with its own
 * command's answer or error; the connection's failure rejects every call of the batch (callers
 * retry idempotent commands as before).
 */
export class TickPipeline {
  private queue: Call[] = [];
  private scheduled = false;

  constructor(private readonly redis: RedisClient) {}

  /** Queues `add` (one command on the pipeline, whose first key is `key`); resolves with its answer. */
  run<T>(key: string, add: (p: ScriptPipeline) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ key, add, resolve: resolve as (v: unknown) => void, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const calls = this.queue;
    this.queue = [];
    if (!isCluster(this.redis)) return void this.exec(calls);
    const bySlot = new Map<number, Call[]>();
    for (const c of calls) {
      const slot = keySlot(c.key);
      const g = bySlot.get(slot);
      if (g) g.push(c);
      else bySlot.set(slot, [c]);
    }
    for (const g of bySlot.values()) void this.exec(g);
  }

  private async exec(calls: Call[]): Promise<void> {
    try {
      const p = this.redis.pipeline() as ScriptPipeline;
      for (const c of calls) c.add(p);
      const results = (await p.exec()) ?? [];
      calls.forEach((c, i) => {
        const r = results[i];
        if (!r) c.reject(new Error('pipeline answered fewer commands than it was sent'));
        else if (r[0]) c.reject(r[0]);
        else c.resolve(r[1]);
      });
    } catch (err) {
      for (const c of calls) c.reject(err);
    }
  }
}
