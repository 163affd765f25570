/**
 * An agent whose start meets a store outage waits for the store instead of failing (chaos seed
 * 334873624 on the Redis Cluster: a coordinator's start read its session while PostgreSQL was down,
 * failed with storage.unavailable, and its team failed). Real: pi with the scripted model, a git
 * worktree, Redis, PostgreSQL. Injected: the session store's reads answer storage.unavailable
 * (what pgTyped makes of a refused connection) for the first tries of the start.
 */
import { StorageUnavailableError } from '@godel/actors';
import { agentAddress } from '@godel/agents';
import type { SessionStore } from '@godel/persistence';
import { createAgentFixture, type AgentFixture } from './agent-fixture';

describe('an agent start during a store outage', () => {
  let f: AgentFixture;
  afterAll(async () => f?.close());

  it('waits it out and starts once the store answers: idle, not failed, one process', async () => {
    let refusals = 3;
    const down = (real: SessionStore): SessionStore =>
      new Proxy(real, {
        get(target, prop, receiver) {
          if (prop === 'load') {
            return async (...args: Parameters<SessionStore['load']>) => {
              if (refusals-- > 0) throw new StorageUnavailableError('PostgreSQL', new Error('connect ECONNREFUSED 127.0.0.1:5432'));
              return target.load(...args);
            };
          }
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    f = await createAgentFixture({}, { sessions: down });
    const a = agentAddress('sdown', 'w1');
    await f.start(a, {});
    const s = await f.until(a, (x) => x.status !== 'preparing' && x.status !== 'starting', 60000);
    expect({ status: s.status, reason: s.reason ?? null }).toEqual({ status: 'idle', reason: null });
    expect(refusals).toBeLessThan(0); // every refusal was met, and the start went on after them
    expect(f.host.has(a)).toBe(true);
    await f.events.flush();
    const types = (await f.events.list({ agent: a })).map((e) => e.type);
    expect(types).not.toContain('agent.failed');
    expect(types.filter((t) => t === 'agent.started')).toHaveLength(1);
  }, 120000);
});
