import type { Writable } from 'node:stream';
import { isCluster, type RedisClient } from './redis-client';

/**
 * Commands issued during one turn of the event loop leave in one socket write instead of one write
 * (one syscall) each: at 2,000 asks/s a per-reply write was the largest single cost of a turn
 * (issue 13, server CPU profile). It corks the connection's socket (Node's `Writable.cork`) at the
 * first command of a turn and uncorks it on `setImmediate`, never on a timer: a lone command waits
 * for nothing but the current turn. The commands themselves are sent as usual, so each settles with
 * its own answer or error, and a cut rejects each as before (callers retry idempotent commands).
 *
 * It replaced an ioredis `Pipeline` per turn (session 10): a Pipeline object per turn (it copies
 * every command onto itself), two extra promises per command and our own per-call bookkeeping made
 * the server's young-generation collections promote 1.3 MB each (steady state, bench:actors), and
 * its scavenges pause 8 ms on average. On a Redis Cluster every master connection is corked: a
 * command goes to the node that holds its slot, whichever that is.
 */
export class TickPipeline {
  private readonly corked = new Set<Writable>();
  private scheduled = false;

  constructor(private readonly redis: RedisClient) {}

  /** Runs `send` (commands on the client) with this turn's writes held back for one write. */
  run<T>(send: () => Promise<T>): Promise<T> {
    this.cork();
    return send();
  }

  private cork(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const nodes = isCluster(this.redis) ? this.redis.nodes('master') : [this.redis];
    for (const node of nodes) {
      const stream = node.stream as Writable | undefined;
      if (!stream || stream.writableCorked > 0 || !stream.writable) continue;
      stream.cork();
      this.corked.add(stream);
    }
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    for (const stream of this.corked) stream.uncork();
    this.corked.clear();
  }
}
