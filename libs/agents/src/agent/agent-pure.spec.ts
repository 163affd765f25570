import { chainFor, isProviderFailure, type ProviderRef } from './provider-chain';
import { cutSession } from './session-cut';

describe('provider chain', () => {
  const providers: ProviderRef[] = [
    { provider: 'a', model: 'big', tier: 'strong', cost: { input: 15, output: 75 } },
    { provider: 'b', model: 'small', tier: 'cheap', cost: { input: 1, output: 5 } },
    { provider: 'c', model: 'smaller', tier: 'cheap', cost: { input: 0.2, output: 1 } },
  ];

  it('serves a tier with its cheapest model first, the rest as fallbacks in order', () => {
    expect(chainFor(providers, 'cheap').map((p) => p.model)).toEqual(['smaller', 'small', 'big']);
    expect(chainFor(providers, 'strong').map((p) => p.model)).toEqual(['big', 'small', 'smaller']);
    expect(chainFor(providers).map((p) => p.model)).toEqual(['big', 'small', 'smaller']);
    expect(() => chainFor([])).toThrow('no providers');
  });

  it('recognises provider failures (5xx, 429, auth, network) and not ordinary errors', () => {
    for (const m of ['500 upstream exploded', '429 Too Many Requests', '401 Unauthorized', 'fetch failed', 'Overloaded']) expect(isProviderFailure(m)).toBe(true);
    for (const m of ['400 bad request: tool schema', 'context length exceeded']) expect(isProviderFailure(m)).toBe(false);
  });
});

describe('cutSession', () => {
  const lines = [
    { type: 'session', id: 's', cwd: '/w' },
    { type: 'message', id: 'u1', parentId: null },
    { type: 'message', id: 'a1', parentId: 'u1' },
    { type: 'message', id: 'u2', parentId: 'a1' },
    { type: 'message', id: 'x', parentId: 'u1' }, // another branch of the tree
  ];
  const content = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

  it('keeps the header and the path from the root to the entry', () => {
    const cut = cutSession(content, 'a1');
    expect(cut.entry).toBe('a1');
    expect(cut.content.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['s', 'u1', 'a1']);
  });

  it('defaults to the latest entry and rejects unknown entries', () => {
    expect(cutSession(content).entry).toBe('x');
    expect(() => cutSession(content, 'nope')).toThrow('no entry nope');
  });
});
