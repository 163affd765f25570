import type { ProviderRef } from './provider-chain';

/** How many idle pi processes the warm pool keeps ready, per kind of agent. */
export interface PoolConfig {
  /** Default target per (repository, role, providers) seen on this instance. 0 = no pool. */
  size: number;
  /** Per kind: `role` or `role@provider` (the chain's first provider) → target, over `size`. */
  sizes?: Record<string, number>;
  /** At most this many pooled processes on the instance in all (they count as live agents). */
  max?: number;
  /** A kind not claimed (nor started cold) for this long has its idle processes stopped; 0 = never (default 10 min). */
  idleMs?: number;
}

/** What a pooled process is started for: agents of this kind can claim it. */
export interface PoolTemplate {
  repo: string;
  role: string;
  providers: ProviderRef[];
  tools?: string[];
  readRoots?: string[];
}

/** The target size of the pool of one kind. */
export function poolSizeFor(config: PoolConfig | undefined, t: Pick<PoolTemplate, 'role' | 'providers'>): number {
  if (!config) return 0;
  const first = t.providers[0]?.provider;
  const sizes = config.sizes ?? {};
  return sizes[`${t.role}@${first}`] ?? sizes[t.role] ?? config.size;
}

/** Processes of one key are interchangeable: same repository, tools, providers, read roots. */
export function poolKey(t: PoolTemplate): string {
  const providers = t.providers.map((p) => [p.provider, p.model, p.baseUrl, p.api, p.apiKey, p.cost?.input, p.cost?.output]);
  return JSON.stringify([t.repo, t.role, t.tools ?? null, providers, [...(t.readRoots ?? [])].sort()]);
}
