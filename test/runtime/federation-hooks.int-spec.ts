/**
 * The federation's lease-round hooks registered after the runtime is built (`useFederation`), as the
 * server does: its member needs the agent host, which tells the runtime. Real Redis and PostgreSQL,
 * two runtimes in this process: what the hooks publish reaches the membership view, a hand-over asks
 * them and reports to them, and registering late or twice fails loudly instead of being ignored.
 */
import type { ActorDefinition, FederationHooks } from '@godel/actors';
import { HealthAwarePlacement } from '@godel/actors';
import { createTestEnv, type TestEnv } from '@godel/testing';
import { buildRuntime, type BuiltRuntime } from '../../apps/godel/src';

const counter: ActorDefinition<{ n: number }> = {
  kind: 'ctr',
  initialState: () => ({ n: 0 }),
  receive(s, msg, ctx) {
    ctx.reply(s.n + 1);
    return { n: s.n + 1 };
  },
};

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('federation hooks registered before start', () => {
  let env: TestEnv;
  const runtimes: BuiltRuntime[] = [];
  beforeEach(async () => {
    env = await createTestEnv({ shardCount: 4, leaseTtlMs: 1000 });
  });
  afterEach(async () => {
    for (const rt of runtimes.splice(0)) await rt.close(2000).catch(() => undefined);
    await env.cleanup();
  });

  function runtime(instanceId: string): BuiltRuntime {
    const rt = buildRuntime({
      redisUrl: env.redisUrl,
      dataSource: env.dataSource,
      keyPrefix: env.keyPrefix,
      runtime: env.config.runtime,
      definitions: [counter],
      instanceId,
      placement: new HealthAwarePlacement({ maxLagMs: 10_000 }),
    });
    runtimes.push(rt);
    return rt;
  }

  it('publishes what the hooks say, asks them before a hand-over and tells them after it', async () => {
    const a = runtime('i-hooks-a');
    const handedOver: Array<[number, string]> = [];
    const asked = new Set<number>();
    const hooks: FederationHooks = {
      memberInfo: () => ({ maxAgents: 7, running: 1 }),
      canHandOver: (shard) => {
        asked.add(shard);
        return true;
      },
      confirmHandOver: async () => true,
      onHandedOver: (shard, to) => void handedOver.push([shard, to]),
    };
    a.system.useFederation(hooks);
    await a.system.start();
    expect(a.system.stats().ownedShards).toEqual([0, 1, 2, 3]);
    const self = (await a.membership.view()).find((m) => m.id === 'i-hooks-a');
    expect(self).toMatchObject({ maxAgents: 7, running: 1 });
    expect(() => a.system.useFederation(hooks)).toThrow(/after the runtime started/);

    // A second member joins: the shards it wins are handed over through the hooks, not taken over.
    const b = runtime('i-hooks-b');
    await b.system.start();
    await waitFor(() => a.system.stats().ownedShards.length + b.system.stats().ownedShards.length === 4 && b.system.stats().ownedShards.length > 0);
    await waitFor(() => handedOver.length === b.system.stats().ownedShards.length);
    expect(handedOver.map(([s]) => s).sort()).toEqual(b.system.stats().ownedShards);
    expect(handedOver.every(([, to]) => to === 'i-hooks-b')).toBe(true);
    for (const [s] of handedOver) expect(asked.has(s)).toBe(true);
    expect(await b.system.ask('ctr/x', 'inc', {})).toBe(1);
  });

  it('refuses a second set of hooks', () => {
    const a = runtime('i-hooks-c');
    a.system.useFederation({});
    expect(() => a.system.useFederation({})).toThrow(/set twice/);
  });
});
