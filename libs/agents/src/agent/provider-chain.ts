/** One configured model: a pi built-in provider or any OpenAI/Anthropic-compatible base URL. */
export interface ProviderRef {
  /** Provider name as pi knows it (a built-in such as `anthropic`, or a custom one defined here). */
  provider: string;
  model: string;
  /** For a custom provider: its base URL and API flavour (written to the agent's models.json). */
  baseUrl?: string;
  api?: 'openai-completions' | 'openai-responses' | 'anthropic-messages' | 'google-generative-ai';
  /** Name of an environment variable holding the key (kept off disk), or a literal. */
  apiKey?: string;
  tier?: 'strong' | 'cheap';
  /** Dollars per million tokens, used for cost-aware choice and the cost ledger. */
  cost?: { input: number; output: number };
  /** Shown to users, e.g. "scripted model (offline)". */
  label?: string;
}

/**
 * The chain a role uses, in order. A role may ask for a tier: the cheapest configured model of that
 * tier comes first, the rest follow as fallbacks in configuration order.
 */
export function chainFor(providers: readonly ProviderRef[], tier?: ProviderRef['tier']): ProviderRef[] {
  if (providers.length === 0) throw new Error('no providers configured');
  if (!tier) return [...providers];
  const price = (p: ProviderRef) => (p.cost ? p.cost.input + p.cost.output : Number.POSITIVE_INFINITY);
  const ofTier = providers.filter((p) => p.tier === tier).sort((a, b) => price(a) - price(b));
  return [...ofTier, ...providers.filter((p) => !ofTier.includes(p))];
}

/** Errors that mean "this provider is not serving": switch to the next one. */
export function isProviderFailure(message: string): boolean {
  return /\b(5\d\d|429|401|403)\b|rate.?limit|overloaded|unauthori[sz]ed|invalid api key|ECONNREFUSED|ETIMEDOUT|fetch failed|retry/i.test(message);
}
