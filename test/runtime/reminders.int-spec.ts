/**
 * Reminders survive the instance that scheduled them. Real: BullMQ delayed jobs on Redis, two
 * runtime instances in this process, PostgreSQL. Mocked: nothing.
 */
import type { ActorDefinition } from '@godel/actors';
import { createTestEnv, type TestEnv } from '@godel/testing';
import { buildRuntime } from '../../apps/godel/src';

const alarm: ActorDefinition<{ fired: string[] }> = {
  kind: 'alarm',
  initialState: () => ({ fired: [] }),
  receive(state, msg, ctx) {
    if (msg.type === 'arm') ctx.scheduleReminder('wake', 600, { note: 'hello' });
    if (msg.type === 'reminder') state.fired.push((msg.payload as { name: string }).name);
    if (msg.type === 'get') ctx.reply(state);
    return state;
  },
};

describe('reminders (BullMQ)', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv({ shardCount: 2, leaseTtlMs: 1000 });
  });
  afterAll(async () => env.cleanup());

  it('fire after the scheduling instance is gone, on the instance that holds the actor now', async () => {
    const opts = { redisUrl: env.redisUrl, dataSource: env.dataSource, keyPrefix: env.keyPrefix, runtime: env.config.runtime, definitions: [alarm] };
    const first = buildRuntime(opts);
    await first.system.start();
    await first.system.ask('alarm/a', 'arm', {});
    await first.close(); // gone before the reminder is due
    const second = buildRuntime(opts);
    await second.system.start();
    try {
      const end = Date.now() + 10000;
      let fired: string[] = [];
      while (Date.now() < end && fired.length === 0) {
        await new Promise((r) => setTimeout(r, 100));
        fired = (await second.system.ask<{ fired: string[] }>('alarm/a', 'get', {})).fired;
      }
      expect(fired).toEqual(['wake']);
    } finally {
      await second.close();
    }
  }, 30000);
});
