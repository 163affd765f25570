import type { ProviderConfig } from '@godel/config';

/** One configured model (defined with the configuration that lists them: GODEL_PROVIDERS). */
export type ProviderRef = ProviderConfig;

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
