/** What POST /api/v1/auth/token and /refresh answer. */
export interface IssuedTokens {
  tokenType: 'Bearer';
  accessToken: string;
  expiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
  key: { keyId: string; name: string; role: 'admin' | 'operator' | 'viewer' };
}

/** Logs in with an API key (POST /api/v1/auth/token); throws with the problem+json body on failure. */
export async function login(baseUrl: string, apiKey: string): Promise<IssuedTokens> {
  const res = await fetch(`${baseUrl}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: apiKey }) });
  const body = (await res.json()) as IssuedTokens & { code?: string; detail?: string };
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${body.code ?? ''} ${body.detail ?? ''}`);
  return body;
}

/** An access token of the bootstrap admin key (e.g. `cluster.adminKey` or `env.adminKey`). */
export async function adminToken(baseUrl: string, adminKey: string): Promise<string> {
  return (await login(baseUrl, adminKey)).accessToken;
}

/** Headers for an authenticated JSON request. */
export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}

/** Creates an API key of `role` with an admin token and returns its secret and id. */
export async function createKey(baseUrl: string, adminAccessToken: string, name: string, role: 'admin' | 'operator' | 'viewer'): Promise<{ id: string; key: string }> {
  const res = await fetch(`${baseUrl}/api/v1/auth/keys`, { method: 'POST', headers: bearer(adminAccessToken, { 'content-type': 'application/json' }), body: JSON.stringify({ name, role }) });
  const body = (await res.json()) as { id: string; key: string; code?: string };
  if (res.status !== 201) throw new Error(`creating key ${name} failed: ${res.status} ${body.code ?? ''}`);
  return { id: body.id, key: body.key };
}
