import type { DataSource } from 'typeorm';
import { AuthInvalidError, RefreshReusedError } from './errors';
import { hashSecret, newId, newSecret } from './secrets';

interface TokenRow {
  family_id: string;
  key_id: string;
  expires_at: Date;
  spent_at: Date | null;
  family_revoked_at: Date | null;
}

/**
 * Rotating refresh tokens in families (`refresh_families`, `refresh_tokens`, hashed). Each refresh
 * spends the presented token and issues the next one of the same family; presenting a spent token
 * again means it leaked, so the whole family is revoked (RFC 6819 §5.2.2.3, OAuth 2.1 rotation).
 */
export class RefreshTokens {
  constructor(
    private readonly ds: DataSource,
    private readonly ttlS: number,
  ) {}

  /** A new family for a key (on login) and its first token. */
  async issue(keyId: string): Promise<{ token: string; familyId: string; expiresAt: number }> {
    const familyId = newId('f');
    const token = newSecret('gdr');
    const expiresAt = Date.now() + this.ttlS * 1000;
    await this.ds.transaction(async (m) => {
      await m.query(`INSERT INTO refresh_families (id, key_id) VALUES ($1, $2)`, [familyId, keyId]);
      await m.query(`INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($1, $2, $3)`, [hashSecret(token), familyId, new Date(expiresAt)]);
    });
    return { token, familyId, expiresAt };
  }

  /** Spends `token` and returns its successor; reuse revokes the family (then throws auth.refresh_reused). */
  async rotate(token: string): Promise<{ token: string; familyId: string; keyId: string; expiresAt: number }> {
    const hash = hashSecret(token);
    const outcome = await this.ds.transaction(async (m) => {
      const rows = (await m.query(
        `SELECT t.family_id, f.key_id, t.expires_at, t.spent_at, f.revoked_at AS family_revoked_at
           FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
          WHERE t.token_hash = $1 FOR UPDATE OF t, f`,
        [hash],
      )) as TokenRow[];
      const row = rows[0];
      if (!row) return { kind: 'invalid' as const, why: 'refresh token is unknown' };
      if (row.family_revoked_at) return { kind: 'invalid' as const, why: 'refresh token was revoked' };
      if (row.spent_at) {
        await m.query(`UPDATE refresh_families SET revoked_at = now(), revoked_reason = 'refresh token reused' WHERE id = $1`, [row.family_id]);
        return { kind: 'reused' as const, familyId: row.family_id };
      }
      if (new Date(row.expires_at).getTime() <= Date.now()) return { kind: 'invalid' as const, why: 'refresh token expired' };
      await m.query(`UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = $1`, [hash]);
      const next = newSecret('gdr');
      const expiresAt = Date.now() + this.ttlS * 1000;
      await m.query(`INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($1, $2, $3)`, [hashSecret(next), row.family_id, new Date(expiresAt)]);
      return { kind: 'ok' as const, token: next, familyId: row.family_id, keyId: row.key_id, expiresAt };
    });
    if (outcome.kind === 'invalid') throw new AuthInvalidError(`${outcome.why}: log in again with an API key`);
    if (outcome.kind === 'reused') {
      throw new RefreshReusedError('refresh token was already used: its whole family is revoked, log in again with an API key', { familyId: outcome.familyId });
    }
    return { token: outcome.token, familyId: outcome.familyId, keyId: outcome.keyId, expiresAt: outcome.expiresAt };
  }
}
