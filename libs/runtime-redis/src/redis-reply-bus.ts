import type { Reply, ReplyBus } from '@godel/actors';
import { SUBSCRIBER_CLIENT_OPTIONS, duplicateClient, retryAcrossReconnects } from './connections';
import type { RedisKeys } from './keys';
import type { RedisClient } from './redis-client';
import type { ScriptedRedis } from './scripts';
import { TickPipeline } from './tick-pipeline';

/** How long a published reply stays fetchable (an asker that was cut off fetches it on reconnect). */
const REPLY_TTL_MS = 60_000;

/**
 * Ask replies over Redis pub/sub, one channel per instance. Each reply is also kept for a minute
 * (`publishReply-1.lua`, one atomic step), so an asker whose subscription dropped while its reply
 * was published fetches it when it is back (`fetch`, called on every re-subscription and once more
 * before an ask times out) instead of answering a timeout for a message that was handled.
 */
export class RedisReplyBus implements ReplyBus {
  private sub?: RedisClient;
  private readonly tick?: TickPipeline;

  constructor(
    private readonly pub: ScriptedRedis,
    private readonly keys: RedisKeys,
    o: { pipeline?: boolean } = {},
  ) {
    // The replies of one event-loop turn leave in one write (TickPipeline).
    if (o.pipeline) this.tick = new TickPipeline(pub);
  }

  async subscribe(instance: string, onReply: (r: Reply) => void, onReconnect?: () => void): Promise<void> {
    this.sub = duplicateClient(this.pub, SUBSCRIBER_CLIENT_OPTIONS);
    const channel = this.keys.replyChannel(instance);
    this.sub.on('message', (ch: string, text: string) => {
      if (ch !== channel) return;
      try {
        onReply(JSON.parse(text) as Reply);
      } catch {
        // a foreign or corrupt publication on our channel: ignore it
      }
    });
    let first = true;
    this.sub.on('ready', () => {
      if (first) return void (first = false);
      // ioredis re-subscribes on 'ready'; give the SUBSCRIBE a moment, then fetch what was missed.
      if (onReconnect) setTimeout(onReconnect, 100).unref();
    });
    await this.sub.subscribe(channel);
  }

  async publish(instance: string, reply: Reply): Promise<void> {
    const text = JSON.stringify(reply);
    const key = this.keys.reply(instance, reply.request);
    const channel = this.keys.replyChannel(instance);
    const tick = this.tick;
    await retryAcrossReconnects(this.pub, 'reply', 5000, () =>
      tick ? tick.run(() => this.pub.publishReply(key, channel, text, REPLY_TTL_MS)) : this.pub.publishReply(key, channel, text, REPLY_TTL_MS),
    );
  }

  async fetch(instance: string, requests: string[]): Promise<Reply[]> {
    if (requests.length === 0) return [];
    const out: Reply[] = [];
    for (let i = 0; i < requests.length; i += 500) {
      const texts = await this.pub.mget(...requests.slice(i, i + 500).map((r) => this.keys.reply(instance, r)));
      for (const t of texts) {
        if (!t) continue;
        try {
          out.push(JSON.parse(t) as Reply);
        } catch {
          // not ours
        }
      }
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.sub) this.sub.disconnect();
    this.sub = undefined;
  }
}
