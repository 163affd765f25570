/**
 * Conformance of the Redis adapters (leases with fencing, stream mailboxes) and of PostgreSQL
 * fencing. Real: Redis + Lua scripts, PostgreSQL. Mocked: nothing.
 */
import { makeEnvelope, type MailboxTransport } from '@godel/actors';
import { PgStateStore } from '@godel/persistence';
import { RedisKeys, RedisLeaseManager, RedisMailbox, withScripts } from '@godel/runtime-redis';
import type { MakeEnv, RuntimeTestEnv } from './env';

/**
 * The suite, run over any Redis (one server or a cluster): `makeEnv` gives the connection;
 * `pipeline`: the mailbox sends its commands through a TickPipeline (as the server does).
 */
export function leaseMailboxConformance(label: string, makeEnv: MakeEnv, o: { pipeline?: boolean } = {}): void {
  describe(`leases, mailboxes and fencing (real Redis + PostgreSQL) — ${label}`, () => {
    let env: RuntimeTestEnv;
    let leases: RedisLeaseManager;
    let mailbox: MailboxTransport;
    let keys: RedisKeys;

    beforeAll(async () => {
      env = await makeEnv();
      keys = new RedisKeys(env.keyPrefix);
      const r = withScripts(env.redis);
      leases = new RedisLeaseManager(r, keys);
      mailbox = new RedisMailbox(r, keys, { limit: 3, pipeline: o.pipeline });
    });
    afterAll(async () => {
      await mailbox.close();
      await env.cleanup();
    });

    it('grants one holder at a time, increments the epoch at every grant, refuses stale renewals', async () => {
      const a = await leases.acquire(1, 'A', 300);
      expect(a).toMatchObject({ owner: 'A', epoch: 1 });
      expect(await leases.acquire(1, 'B', 300)).toBeUndefined();
      expect(await leases.renew(a!, 300)).toBe(true);
      await new Promise((r) => setTimeout(r, 400)); // A stops renewing: the lease expires on Redis' clock
      const b = await leases.acquire(1, 'B', 5000);
      expect(b).toMatchObject({ owner: 'B', epoch: 2 });
      expect(await leases.renew(a!, 300)).toBe(false);
      expect(await leases.release(a!)).toBe(false);
      expect(await leases.holder(1)).toMatchObject({ owner: 'B', epoch: 2 });
      expect(await leases.release(b!)).toBe(true);
      expect((await leases.acquire(1, 'A', 300))!.epoch).toBe(3);
    });

    it('raises a lost epoch counter above a floor', async () => {
      await leases.raiseEpoch(2, 41);
      expect((await leases.acquire(2, 'A', 300))!.epoch).toBe(42);
    });

    it('mailbox: FIFO, exact depth, bound, dedupe, and a zombie holder can neither read nor ack', async () => {
      const shard = 5;
      const holder1 = (await leases.acquire(shard, 'c1', 300))!;
      await mailbox.takeOver(shard, 'c1', holder1.epoch);
      for (let i = 0; i < 3; i++) await mailbox.send(makeEnvelope('counter/x', 'n', { i }), shard);
      await expect(mailbox.send(makeEnvelope('counter/x', 'n', { i: 3 }), shard)).rejects.toMatchObject({ code: 'mailbox.full' });
      expect(await mailbox.depth('counter/x', shard)).toBe(3);
      const dedupe = makeEnvelope('counter/y', 'n', {}, { id: 'fixed-id' });
      expect(await mailbox.send(dedupe, shard, { dedupe: true })).toBe(true);
      expect(await mailbox.send(dedupe, shard, { dedupe: true })).toBe(false);

      const read = await mailbox.readNew(shard, 'c1', holder1.epoch, 10);
      expect(read.map((e) => (e.envelope!.payload as { i?: number }).i)).toEqual([0, 1, 2, undefined]);
      await mailbox.ack(shard, holder1.epoch, [{ streamId: read[0].streamId, actor: 'counter/x' }]);
      expect(await mailbox.depth('counter/x', shard)).toBe(2);

      // c1 stalls past its lease; c2 takes over and gets the unacknowledged entries, in order
      await new Promise((r) => setTimeout(r, 400));
      const holder2 = (await leases.acquire(shard, 'c2', 5000))!;
      await expect(mailbox.readNew(shard, 'c1', holder1.epoch, 10)).rejects.toMatchObject({ code: 'lease.stale_epoch' });
      await expect(mailbox.ack(shard, holder1.epoch, [{ streamId: read[1].streamId, actor: 'counter/x' }])).rejects.toMatchObject({ code: 'lease.stale_epoch' });
      await mailbox.takeOver(shard, 'c2', holder2.epoch);
      const pending = await mailbox.readPending(shard, 'c2', holder2.epoch, '0-0', 10);
      expect(pending.map((e) => e.streamId)).toEqual(read.slice(1).map((e) => e.streamId));
      await mailbox.ack(shard, holder2.epoch, pending.map((e) => ({ streamId: e.streamId, actor: e.actor })));
      expect(await mailbox.depth('counter/x', shard)).toBe(0);
      expect(await env.redis.xlen(keys.mailbox(shard))).toBe(0); // acknowledged entries are removed
    });

    it('PostgreSQL refuses state written with a stale epoch and a fence that goes backwards', async () => {
      const store = new PgStateStore(env.dataSource);
      await store.fence(9, 1, 'A');
      const w = { id: 'counter/f', kind: 'counter', shard: 9, epoch: 1, version: 1, lastSeq: '1-0', state: { count: 1 }, outbox: [] };
      expect((await store.commit([w])).size).toBe(0);
      await store.fence(9, 2, 'B');
      const refused = await store.commit([{ ...w, version: 2, state: { count: 99 } }]);
      expect([...refused]).toEqual(['counter/f']);
      expect((await store.load(['counter/f'])).get('counter/f')!.state).toEqual({ count: 1 });
      await expect(store.fence(9, 1, 'A')).rejects.toMatchObject({ code: 'lease.stale_epoch', details: { current: 2 } });
      const log = await env.dataSource.query(`SELECT epoch, owner FROM shard_lease_log WHERE shard = 9 ORDER BY id`);
      expect(log.map((r: { epoch: string; owner: string }) => [Number(r.epoch), r.owner])).toEqual([
        [1, 'A'],
        [2, 'B'],
      ]);
    });
  });
}
