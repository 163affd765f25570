import { actorId, affinityOf, parseActorId } from './actor-id';
import { decodeEnvelope, encodeEnvelope, makeEnvelope } from './envelope';
import { Batcher } from './runtime/batcher';
import { compareStreamIds, rendezvousOwner, shardOf } from './shard';

describe('addresses and placement', () => {
  it('parses kind/key and rejects malformed addresses with a typed error', () => {
    expect(parseActorId('agent/3f2a')).toEqual({ kind: 'agent', key: '3f2a' });
    for (const bad of ['agent', '/x', 'Agent/x', 'agent/', 'agent/a b']) {
      expect(() => parseActorId(bad)).toThrow(expect.objectContaining({ code: 'actor.invalid_id' }));
    }
  });

  it('places all actors of one affinity key on one shard', () => {
    expect(affinityOf(actorId('agent', 'team1:w1'))).toBe('team1');
    expect(shardOf(actorId('agent', 'team1:w1'), 64)).toBe(shardOf(actorId('team', 'team1'), 64));
  });

  it('rendezvous hashing moves only the shards the new member wins', () => {
    const before = Array.from({ length: 64 }, (_, s) => rendezvousOwner(s, ['a', 'b']));
    const after = Array.from({ length: 64 }, (_, s) => rendezvousOwner(s, ['a', 'b', 'c']));
    after.forEach((owner, s) => {
      if (owner !== 'c') expect(owner).toBe(before[s]);
    });
    expect(after.filter((o) => o === 'c').length).toBeGreaterThan(5);
  });

  it('spreads shards evenly over similar member names', () => {
    for (const members of [['m1-g1', 'm2-g2'], ['m1-g1', 'm2-g2', 'm3-g3'], ['a', 'b', 'c', 'd']]) {
      const counts = new Map<string, number>();
      for (let s = 0; s < 64; s++) counts.set(rendezvousOwner(s, members)!, (counts.get(rendezvousOwner(s, members)!) ?? 0) + 1);
      for (const m of members) expect(counts.get(m) ?? 0).toBeGreaterThanOrEqual(Math.floor(64 / members.length / 2));
    }
  });

  it('orders stream ids numerically', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    expect(compareStreamIds('10-2', '10-2')).toBe(0);
  });
});

describe('envelopes', () => {
  it('round-trips and rejects garbage with envelope.malformed', () => {
    const e = makeEnvelope('counter/a', 'inc', { by: 1 });
    expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
    for (const raw of [undefined, '{x', '[]', '{"id":"1","to":"bad","type":"t","sentAt":1}', '{"id":"1","to":"a/b","type":"t"}']) {
      expect(() => decodeEnvelope(raw)).toThrow(expect.objectContaining({ code: 'envelope.malformed' }));
    }
  });
});

describe('Batcher (group commit)', () => {
  it('flushes items that arrive together in one call and keeps their order', async () => {
    const calls: number[][] = [];
    const b = new Batcher<number, number>(async (xs) => {
      calls.push(xs);
      return xs.map((x) => x * 2);
    }, { maxBatch: 100, maxConcurrent: 1 });
    const results = await Promise.all([1, 2, 3].map((x) => b.add(x)));
    expect(results).toEqual([2, 4, 6]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('rejects every item of a failed flush and keeps working', async () => {
    let fail = true;
    const b = new Batcher<number, number>(async (xs) => {
      if (fail) throw new Error('db down');
      return xs;
    }, { maxBatch: 10, maxConcurrent: 2 });
    await expect(Promise.all([b.add(1), b.add(2)])).rejects.toThrow('db down');
    fail = false;
    await expect(b.add(3)).resolves.toBe(3);
    await b.drain();
    expect(b.size).toBe(0);
  });
});
