/**
 * The actor runtime end to end on one instance. Real: Redis, PostgreSQL, Lua scripts, BullMQ.
 * Mocked: nothing.
 */
import { hasErrorCode, parseActorId, shardOf, StorageUnavailableError, type ActorDefinition } from '@godel/actors';
import { counterActor, type CounterState } from '@godel/testing';
import { buildRuntime, type BuiltRuntime } from '../../../apps/godel/src';
import type { MakeEnv, RuntimeTestEnv } from './env';

/** A handler whose store is down for its message's first `failures` tries (more than maxAttempts). */
const storeReads = new Map<string, number>();
const storeReader: ActorDefinition<{ reads: number }> = {
  kind: 'reader',
  initialState: () => ({ reads: 0 }),
  maxAttempts: 2,
  receive(s, msg, ctx) {
    const n = (storeReads.get(msg.envelope.id) ?? 0) + 1;
    storeReads.set(msg.envelope.id, n);
    if (n <= Number((msg.payload as { failures: number }).failures)) throw new StorageUnavailableError('PostgreSQL', 'connection refused');
    s.reads += 1;
    ctx.reply({ reads: s.reads, tries: n });
    return s;
  },
};

/** The suite, run over any Redis (one server or a cluster): `makeEnv` gives the connection. */
export function actorSystemConformance(label: string, makeEnv: MakeEnv): void {
  describe(`actor runtime (one instance, real Redis + PostgreSQL) — ${label}`, () => {
    let env: RuntimeTestEnv;
    let rt: BuiltRuntime;
    const events: Array<{ type: string; data: Record<string, unknown> }> = [];

    beforeAll(async () => {
      env = await makeEnv({ shardCount: 8, leaseTtlMs: 1000, mailboxLimit: 50, maxMessageBytes: 4096, idleTimeoutMs: 300 });
      rt = buildRuntime({
        redisUrl: env.redisUrl,
        dataSource: env.dataSource,
        keyPrefix: env.keyPrefix,
        runtime: env.config.runtime,
        definitions: [counterActor, storeReader],
        onEvent: (type, data) => events.push({ type, data }),
      });
      await rt.system.start();
    });

    afterAll(async () => {
      await rt.close();
      await env.cleanup();
    });

    it('takes every shard when alone', () => {
      expect(rt.system.stats().ownedShards).toHaveLength(8);
    });

    it('handles tells in order and answers asks after the state committed', async () => {
      for (let i = 0; i < 20; i++) await rt.system.tell('counter/a', 'inc', { by: 1 });
      const count = await rt.system.ask<number>('counter/a', 'inc', { by: 100 });
      expect(count).toBe(120);
      const rows = await env.dataSource.query(`SELECT state, version FROM actor_state WHERE id = 'counter/a'`);
      expect(rows[0].state.count).toBe(120);
      expect(Number(rows[0].version)).toBe(21);
    });

    it('keeps FIFO per actor under concurrent senders to many actors', async () => {
      const actors = Array.from({ length: 20 }, (_, i) => `counter/fifo-${i}`);
      await Promise.all(actors.flatMap((a) => Array.from({ length: 10 }, () => rt.system.tell(a, 'inc', { by: 1 }))));
      const states = await Promise.all(actors.map((a) => rt.system.ask<CounterState>(a, 'get', {})));
      for (const s of states) expect(s.count).toBe(10);
    });

    it('fails a tell fast with mailbox.full past the bound, and accepts again once drained', async () => {
      const slow: ActorDefinition<{ n: number }> = {
        kind: 'slow',
        initialState: () => ({ n: 0 }),
        async receive(s) {
          await new Promise((r) => setTimeout(r, 20));
          return { n: s.n + 1 };
        },
      };
      const env2 = await makeEnv({ shardCount: 2, leaseTtlMs: 1000, mailboxLimit: 5, idleTimeoutMs: 1000 });
      const rt2 = buildRuntime({ redisUrl: env2.redisUrl, dataSource: env2.dataSource, keyPrefix: env2.keyPrefix, runtime: env2.config.runtime, definitions: [slow], hostShards: false });
      await rt2.system.start();
      try {
        for (let i = 0; i < 5; i++) await rt2.system.tell('slow/x', 'tick', {});
        let err: unknown;
        try {
          await rt2.system.tell('slow/x', 'tick', {});
        } catch (e) {
          err = e;
        }
        expect(hasErrorCode(err, 'mailbox.full')).toBe(true);
        expect((err as { retryable: boolean }).retryable).toBe(true);
        expect(await rt2.system.depth('slow/x')).toBe(5);
        // nothing was dropped: a host started now drains exactly the five accepted messages
        const host = buildRuntime({ redisUrl: env2.redisUrl, dataSource: env2.dataSource, keyPrefix: env2.keyPrefix, runtime: env2.config.runtime, definitions: [slow] });
        await host.system.start();
        await waitFor(async () => (await rt2.system.depth('slow/x')) === 0);
        const rows = await env2.dataSource.query(`SELECT state FROM actor_state WHERE id = 'slow/x'`);
        expect(rows[0].state.n).toBe(5);
        await host.close();
      } finally {
        await rt2.close();
        await env2.cleanup();
      }
    });

    it('refuses an oversized message and an unknown kind with typed errors', async () => {
      await expect(rt.system.tell('counter/big', 'inc', { pad: 'x'.repeat(5000) })).rejects.toMatchObject({ code: 'message.too_large' });
      await expect(rt.system.tell('nosuchkind/a', 'inc', {})).rejects.toMatchObject({ code: 'actor.unknown_kind' });
      await expect(rt.system.tell('not an address', 'inc', {})).rejects.toMatchObject({ code: 'actor.invalid_id' });
    });

    it('retries a failing handler and succeeds when the failure is transient', async () => {
      await expect(rt.system.ask('counter/flaky', 'boom', { times: 2 })).resolves.toBe('survived');
      expect(events.filter((e) => e.type === 'actor.restarted' && e.data.actor === 'counter/flaky')).toHaveLength(2);
    });

    it('sends a poison message to the dead-letter stream with its error after N attempts', async () => {
      await rt.system.tell('counter/poison', 'inc', {});
      await expect(rt.system.ask('counter/poison', 'boom', {})).rejects.toMatchObject({ code: 'actor.handler_failed' });
      const shard = shardOf(parseActorId('counter/poison'), 8);
      // the dead letter is written atomically with the ack, which trails the reply by a moment
      await waitFor(async () => (await rt.mailbox.listDeadLetters(shard, 10)).some((d) => d.actor === 'counter/poison'));
      const mine = (await rt.mailbox.listDeadLetters(shard, 10)).find((d) => d.actor === 'counter/poison');
      expect(mine).toMatchObject({ type: 'boom', attempts: 3 });
      expect(mine!.reason).toContain('boom 3');
      // the actor lives on: the next message is handled with the state from before the poison
      await expect(rt.system.ask('counter/poison', 'inc', {})).resolves.toBe(2);
      await waitFor(async () => (await rt.system.depth('counter/poison')) === 0);
    });

    it('a message refused for good (non-retryable: not retried) is dead-lettered at once; the actor goes on with its next message', async () => {
      await rt.system.tell('counter/refuses', 'inc', {});
      await expect(rt.system.ask('counter/refuses', 'nope', {})).rejects.toMatchObject({ code: 'actor.handler_failed' });
      const shard = shardOf(parseActorId('counter/refuses'), 8);
      await waitFor(async () => (await rt.mailbox.listDeadLetters(shard, 10)).some((d) => d.actor === 'counter/refuses'));
      expect((await rt.mailbox.listDeadLetters(shard, 10)).find((d) => d.actor === 'counter/refuses')).toMatchObject({ type: 'nope', attempts: 1, code: 'message.unknown_type' });
      // Again and again (past the restart intensity too): each refused, and the actor still answers.
      for (let i = 0; i < 12; i++) await expect(rt.system.ask('counter/refuses', 'nope', {})).rejects.toMatchObject({ code: 'actor.handler_failed' });
      await expect(rt.system.ask('counter/refuses', 'inc', {})).resolves.toBe(2);
    });

    it('a turn whose store is down waits for it (not an attempt, never a dead letter), then goes through once', async () => {
      await expect(rt.system.ask('reader/r1', 'read', { failures: 6 }, 20000)).resolves.toEqual({ reads: 1, tries: 7 });
      expect(events.filter((e) => e.type === 'actor.storage_wait' && e.data.actor === 'reader/r1').length).toBeGreaterThanOrEqual(1);
      expect(events.filter((e) => e.type === 'message.dead_lettered' && e.data.actor === 'reader/r1')).toEqual([]);
      await expect(rt.system.ask('reader/r1', 'read', { failures: 0 })).resolves.toEqual({ reads: 2, tries: 1 });
    });

    it('dead-letters a malformed entry written straight into a mailbox and keeps going', async () => {
      const shard = shardOf(parseActorId('counter/m'), 8);
      await env.redis.xadd(rt.keys.mailbox(shard), '*', 'a', 'counter/m', 'e', '{not json');
      await env.redis.xadd(rt.keys.mailbox(shard), '*', 'junk', 'x');
      await expect(rt.system.ask('counter/m', 'inc', {})).resolves.toBe(1);
      await waitFor(async () => (await rt.mailbox.listDeadLetters(shard, 50)).filter((d) => d.code === 'envelope.malformed').length >= 2);
    });

    it('passivates idle actors and reactivates them from PostgreSQL', async () => {
      await rt.system.ask('counter/p', 'inc', { by: 7 });
      await waitFor(async () => events.some((e) => e.type === 'actor.passivated' && e.data.actor === 'counter/p'));
      await expect(rt.system.ask('counter/p', 'inc', { by: 1 })).resolves.toBe(8);
    });
  });

  async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 10000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('condition not met in time');
  }
}
