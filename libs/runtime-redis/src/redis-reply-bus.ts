import type { Reply, ReplyBus } from '@godel/actors';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys';

/**
 * Ask replies over Redis pub/sub, one channel per instance. A lost reply only costs the asker a
 * timeout: the message itself is durable and handled regardless.
 */
export class RedisReplyBus implements ReplyBus {
  private sub?: Redis;

  constructor(
    private readonly pub: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async subscribe(instance: string, onReply: (r: Reply) => void): Promise<void> {
    this.sub = this.pub.duplicate();
    const channel = this.keys.replyChannel(instance);
    this.sub.on('message', (ch: string, text: string) => {
      if (ch !== channel) return;
      try {
        onReply(JSON.parse(text) as Reply);
      } catch {
        // a foreign or corrupt publication on our channel: ignore it
      }
    });
    await this.sub.subscribe(channel);
  }

  async publish(instance: string, reply: Reply): Promise<void> {
    await this.pub.publish(this.keys.replyChannel(instance), JSON.stringify(reply));
  }

  async close(): Promise<void> {
    if (this.sub) this.sub.disconnect();
    this.sub = undefined;
  }
}
