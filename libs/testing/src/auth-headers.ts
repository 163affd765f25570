/**
 * The request headers that authenticate tests and benchmarks against a Godel server. Empty until
 * the API requires auth (issue 5, auth part): then this one function returns
 * `{ authorization: 'Bearer …' }` and every HTTP test, the route fuzz and bench:api follow.
 */
export function authHeaders(): Record<string, string> {
  return {};
}
