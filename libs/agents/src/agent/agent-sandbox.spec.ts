import { agentEnv, providerEndpoints } from './agent-sandbox';
import { READ_ONLY_TOOLS, toolsFor } from './agent-state';

describe('agentEnv', () => {
  const base = {
    PATH: '/usr/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    ANTHROPIC_API_KEY: 'sk-ant',
    OPENAI_API_KEY: 'sk-oai',
    MY_KEY: 'sk-mine',
    GODEL_API_KEY: 'gdk_x',
    GODEL_JWT_SECRET: 'j',
    DATABASE_URL: 'postgres://x',
    REDIS_URL: 'redis://x',
  };

  it('passes PATH, locale, a scratch HOME and the keys its providers name, nothing else', () => {
    expect(agentEnv(base, [{ provider: 'anthropic', model: 'm' }], '/agents/a/home')).toEqual({ PATH: '/usr/bin', LANG: 'C.UTF-8', HOME: '/agents/a/home', ANTHROPIC_API_KEY: 'sk-ant' });
    expect(agentEnv(base, [{ provider: 'custom', model: 'm', baseUrl: 'https://x/v1', apiKey: 'MY_KEY' }], '/h')).toEqual({ PATH: '/usr/bin', LANG: 'C.UTF-8', HOME: '/h', MY_KEY: 'sk-mine' });
  });

  it('never passes a GODEL_ variable, even when a provider names one', () => {
    expect(agentEnv(base, [{ provider: 'x', model: 'm', baseUrl: 'https://x', apiKey: 'GODEL_API_KEY' }], '/h')).not.toHaveProperty('GODEL_API_KEY');
    expect(agentEnv(base, [{ provider: 'x', model: 'm', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'sk-literal' }], '/h')).toEqual({ PATH: '/usr/bin', LANG: 'C.UTF-8', HOME: '/h' });
  });
});

describe('providerEndpoints', () => {
  it('loopback providers become relayed ports, remote ones proxy targets, built-ins their known hosts', () => {
    expect(
      providerEndpoints([
        { provider: 'scripted', model: 'm', baseUrl: 'http://127.0.0.1:8787/v1' },
        { provider: 'local', model: 'm', baseUrl: 'http://localhost:9000' },
        { provider: 'corp', model: 'm', baseUrl: 'https://llm.example.com/v1' },
        { provider: 'anthropic', model: 'm' },
      ]),
    ).toEqual({ loopbackPorts: [8787, 9000], egressHosts: ['llm.example.com:443', 'api.anthropic.com:443'] });
  });
});

describe('toolsFor', () => {
  it('gives the reviewer and the coordinator read-only tools whatever they ask for', () => {
    expect(toolsFor('reviewer')).toEqual([...READ_ONLY_TOOLS]);
    expect(toolsFor('coordinator', ['read', 'bash', 'write'])).toEqual(['read']);
    expect(toolsFor('worker')).toBeUndefined();
    expect(toolsFor('worker', ['read', 'bash'])).toEqual(['read', 'bash']);
  });
});
