import { parsePoolSizes } from './agent-pool';
import { ConfigError, loadConfig } from './godel-config';

describe('warm pool sizes', () => {
  it('GODEL_AGENT_POOL_SIZES parses and refuses what it cannot read', () => {
    expect(parsePoolSizes('worker=4, reviewer@anthropic=1', (m) => new Error(m))).toEqual({ worker: 4, 'reviewer@anthropic': 1 });
    expect(parsePoolSizes(undefined, (m) => new Error(m))).toEqual({});
    expect(() => parsePoolSizes('worker=lots', (m) => new Error(m))).toThrow(/GODEL_AGENT_POOL_SIZES/);
  });

  it('loadConfig: off by default, sizes from the environment, a typed error for bad input', () => {
    expect(loadConfig({}).agents.pool).toEqual({ size: 0, sizes: {}, max: undefined, idleMs: 600_000 });
    expect(loadConfig({ GODEL_AGENT_POOL_SIZE: '2', GODEL_AGENT_POOL_SIZES: 'worker=4', GODEL_AGENT_POOL_MAX: '10', GODEL_AGENT_POOL_IDLE_MS: '0' }).agents.pool).toEqual({ size: 2, sizes: { worker: 4 }, max: 10, idleMs: 0 });
    expect(() => loadConfig({ GODEL_AGENT_POOL_SIZES: 'worker' })).toThrow(ConfigError);
    expect(() => loadConfig({ GODEL_AGENT_POOL_IDLE_MS: 'soon' })).toThrow(ConfigError);
  });
});
