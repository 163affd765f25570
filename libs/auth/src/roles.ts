/** Roles, weakest first: viewer reads, operator also mutates, admin also manages keys and dead letters. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** True when `have` is `need` or stronger. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Who is calling: the API key behind a token. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}
