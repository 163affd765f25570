import type { AgentState } from '@godel/agents';

/**
 * What the API shows of an agent: its state without secrets. Providers lose `apiKey` (a literal key,
 * an env variable name or a `!command`; `hasApiKey` says whether one is set). Viewers read this; nobody reads the raw state over HTTP.
 */
export function agentView<T extends Partial<AgentState> | Record<string, unknown>>(state: T): T {
  const s = state as Partial<AgentState> & Record<string, unknown>;
  const out: Record<string, unknown> = { ...s };
  if (Array.isArray(s.providers)) {
    out.providers = s.providers.map((p) => {
      const { apiKey, ...rest } = p as unknown as { apiKey?: unknown } & Record<string, unknown>;
      return { ...rest, hasApiKey: apiKey !== undefined && apiKey !== null && apiKey !== '' };
    });
  }
  return out as T;
}
