/**
 * The warm pool's sizes (libs/agents): idle sandboxed pi processes kept ready per (repository, role,
 * providers) this instance started agents for. GODEL_AGENT_POOL_SIZE (default 0 = off),
 * GODEL_AGENT_POOL_SIZES per kind (`worker=4,reviewer@anthropic=1`: a role, or a role @ its
 * chain's first provider), GODEL_AGENT_POOL_MAX in all, GODEL_AGENT_POOL_IDLE_MS before an unclaimed kind's pool is stopped.
 * Pooled processes count against GODEL_MAX_AGENTS.
 */
export interface AgentPoolConfig {
  size: number;
  sizes: Record<string, number>;
  max?: number;
  /** GODEL_AGENT_POOL_IDLE_MS (default 10 min, 0 = never): a kind not claimed that long has its pooled processes stopped. */
  idleMs: number;
}

/** `worker=4,reviewer@anthropic=1` → { worker: 4, 'reviewer@anthropic': 1 }; `error` makes what is thrown otherwise. */
export function parsePoolSizes(raw: string | undefined, error: (message: string) => Error): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z0-9][a-z0-9._-]*(?:@[A-Za-z0-9._-]+)?)=(\d{1,4})$/.exec(part);
    if (!m) throw error(`GODEL_AGENT_POOL_SIZES must be a list like worker=4,reviewer@anthropic=1, got "${part}"`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
