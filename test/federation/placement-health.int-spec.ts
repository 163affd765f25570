/**
 * Placement by health and the operator's drain, with real compiled servers (own home folders):
 * the federation view, bad input (unknown / malformed instance id), a draining-only federation
 * answering new intents 503 + Retry-After while keeping its shards, and a paused (SIGSTOP) instance
 * that loses its shards, drains itself, and gets shards back only once healthy and undrained.
 */
import { createSampleRepo } from '@godel/testing';
import { FederationFixture, SHARDS } from './federation-fixture';

describe('federation placement by health', () => {
  let f: FederationFixture;
  afterEach(async () => f?.close());

  it('drain and bad input: unknown id 404, draining-only federation 503 with Retry-After, undrain takes work again', async () => {
    f = await FederationFixture.create({ plan: { tasks: [] } });
    const [a, b] = await Promise.all([f.start('a'), f.start('b')]);
    const v = await f.until('both members with every shard', async () => {
      const v = await f.view(a);
      return v.members.filter((m) => m.live).length === 2 && v.unowned.length === 0 && v.members.every((m) => m.shards.length > 0) && v;
    });
    for (const m of v.members) expect(m).toMatchObject({ live: true, healthy: true, draining: null, acceptsNewWork: true });
    expect(v.members.every((m) => typeof m.maxAgents === 'number' && m.maxAgents > 0)).toBe(true);

    expect((await f.api(a, 'POST', '/api/v1/federation/instances/i-nobody/drain')).status).toBe(404);
    expect((await f.api(a, 'POST', '/api/v1/federation/instances/bad%20id/drain')).status).toBe(422);

    for (const m of [a, b]) expect((await f.api(a, 'POST', `/api/v1/federation/instances/${m.instanceId}/drain`)).status).toBe(200);
    const full = await f.until('a full federation', async () => {
      const v = await f.view(b);
      return v.full && v.members.every((m) => m.draining !== null) && v.unowned.length === 0 && v;
    });
    // Nothing is orphaned or moved back and forth: with every member draining, the shards stay where they are.
    await new Promise((r) => setTimeout(r, 2000));
    const later = await f.view(b);
    expect(later.unowned).toEqual([]);
    expect(later.members.map((m) => m.shards)).toEqual(full.members.map((m) => m.shards));
    const repo = await createSampleRepo(f.root, { 'README.md': '# r\n' });
    const refused = await f.api<{ code: string; detail: string }>(a, 'POST', '/api/v1/intents', { intent: 'add a file', repo });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('federation.full');
    expect(refused.body.detail).toMatch(/draining/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    expect((await f.api(b, 'POST', `/api/v1/federation/instances/${a.instanceId}/undrain`)).status).toBe(200);
    const after = await f.until('a takes work again', async () => {
      const v = await f.view(b);
      return !v.full && f.member(v, a)?.acceptsNewWork && v;
    });
    expect(f.member(after, b)?.acceptsNewWork).toBe(false);
    // b drains: every shard goes to a (they are idle).
    await f.until('b empty', async () => {
      const v = await f.view(a);
      return f.member(v, b)?.shards.length === 0 && f.member(v, a)?.shards.length === SHARDS;
    });
    const types = (await f.events('federation.')).map((e) => e.type);
    expect(types.filter((t) => t === 'federation.drained')).toHaveLength(2);
    expect(types).toContain('federation.undrained');
    expect(types).toContain('federation.shard_moved');
  }, 240_000);

  it('a paused instance loses its shards, drains itself, and gets work back only once healthy and undrained', async () => {
    f = await FederationFixture.create({ plan: { tasks: [] } });
    const [a, b] = await Promise.all([f.start('a'), f.start('b')]);
    await f.until('b holds shards', async () => (f.member(await f.view(a), b)?.shards.length ?? 0) > 0);
    b.process.kill('SIGSTOP');
    await f.until('a holds every shard', async () => {
      const v = await f.view(a);
      return f.member(v, a)?.shards.length === SHARDS;
    });
    b.process.kill('SIGCONT');
    const back = await f.until('b live again and draining itself', async () => {
      const m = f.member(await f.view(a), b);
      return m?.live && m.draining ? m : undefined;
    });
    expect(back.draining!.reason).toMatch(/missed heartbeats/);
    // While draining it wins nothing back, however long it waits.
    for (let i = 0; i < 8; i++) {
      const v = await f.view(a);
      expect(f.member(v, b)?.shards).toEqual([]);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect((await f.api(a, 'POST', `/api/v1/federation/instances/${b.instanceId}/undrain`)).status).toBe(200);
    await f.until('b healthy with shards again', async () => {
      const m = f.member(await f.view(a), b);
      return m?.healthy && !m.draining && m.shards.length > 0;
    }, 90_000);
    const drained = (await f.events('federation.drained')).map((e) => e.data);
    expect(drained).toEqual(expect.arrayContaining([expect.objectContaining({ instance: b.instanceId, reason: 'missed_heartbeats' })]));
  }, 240_000);
});
