import { makeEnvelope, parseActorId, shardOf, type MailboxTransport, type ReminderService } from '@godel/actors';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { RedisKeys } from './keys';

export interface ReminderJob {
  actor: string;
  name: string;
  payload: unknown;
}

/** BullMQ job ids may not contain ':'; actor addresses can. */
function jobId(actor: string, name: string): string {
  return `rem_${Buffer.from(`${actor}\u0000${name}`).toString('base64url')}`;
}

/**
 * Durable reminders: BullMQ delayed jobs. Any instance's worker fires a due reminder by sending a
 * `reminder` message into the actor's mailbox (deduplicated by job id and due time), so reminders
 * survive restarts and failover; the mailbox routes the message to whichever instance holds the shard.
 */
export class BullReminders implements ReminderService {
  private readonly queue: Queue<ReminderJob>;
  private worker?: Worker<ReminderJob>;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly keys: RedisKeys,
    private readonly shardCount: number,
  ) {
    this.queue = new Queue<ReminderJob>('reminders', { connection, prefix: keys.bullPrefix() });
    // Connection errors are retried by BullMQ; without a listener BullMQ prints each one.
    this.queue.on('error', () => undefined);
  }

  async schedule(actor: string, name: string, delayMs: number, payload: unknown): Promise<void> {
    const id = jobId(actor, name);
    await this.queue.remove(id).catch(() => 0);
    await this.queue.add('reminder', { actor, name, payload }, { jobId: id, delay: Math.max(0, Math.round(delayMs)), removeOnComplete: true, removeOnFail: 1000, attempts: 10, backoff: { type: 'exponential', delay: 200 } });
  }

  async cancel(actor: string, name: string): Promise<void> {
    await this.queue.remove(jobId(actor, name));
  }

  /** Starts firing due reminders into mailboxes. */
  startWorker(mailbox: MailboxTransport, concurrency = 10): void {
    this.worker = new Worker<ReminderJob>(
      'reminders',
      async (job) => {
        const { actor, name, payload } = job.data;
        const env = makeEnvelope(actor, 'reminder', { name, payload }, { id: `${job.id}@${job.timestamp}` });
        await mailbox.send(env, shardOf(parseActorId(actor), this.shardCount), { dedupe: true });
      },
      { connection: this.connection, prefix: this.keys.bullPrefix(), concurrency },
    );
    this.worker.on('error', () => undefined);
  }

  /**
   * Graceful close, bounded: BullMQ's close QUITs its own connections, and a QUIT queued on a
   * connection that is still reconnecting after a cut waits for it indefinitely (seen in the reconnect
   * tests). Past `timeoutMs` the sockets are closed instead; a reminder job in flight is
   * retried by BullMQ's stalled-job check and deduplicated by the mailbox.
   */
  async close(timeoutMs = 5000): Promise<void> {
    const graceful = (async () => {
      await this.worker?.close();
      await this.queue.close();
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([graceful.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    if (!timedOut) return;
    graceful.catch(() => undefined);
    // disconnect() ends the sockets at once; its promise waits for an 'end' event that a connection
    // stuck mid-reconnect may never emit, so it is not awaited.
    for (const p of [this.worker?.disconnect(), this.queue.disconnect()]) void Promise.resolve(p).catch(() => undefined);
  }
}
