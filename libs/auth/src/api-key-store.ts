import type { DataSource } from 'typeorm';
import { AuthInvalidError, KeyNotFoundError } from './errors';
import type { Principal, Role } from './roles';
import { hashSecret, newId, newSecret, sameSecret } from './secrets';

/** A key as listed: never the secret nor its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** Ids of the bootstrap admin key start with this; the rest is a fingerprint of the key. */
export const BOOTSTRAP_PREFIX = 'bootstrap-';

interface Row {
  id: string;
  name: string;
  role: Role;
  created_by: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

const info = (r: Row): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  role: r.role,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
  revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
});

/**
 * API keys in PostgreSQL (`api_keys`), stored as SHA-256 of a 256-bit random secret; plus the
 * bootstrap admin key, which comes only from config and is compared in memory.
 */
export class ApiKeyStore {
  /**
   * `bootstrap-<8 bytes of SHA-256 of the key>`: changing GODEL_ADMIN_KEY changes the id, so tokens
   * and refresh families of the previous bootstrap key stop working (see `isStaleBootstrap`).
   */
  readonly bootstrapId: string;

  constructor(
    private readonly ds: DataSource,
    private readonly bootstrapKey: string,
  ) {
    this.bootstrapId = `${BOOTSTRAP_PREFIX}${hashSecret(bootstrapKey).slice(0, 16)}`;
  }

  /** A bootstrap id of another GODEL_ADMIN_KEY than the current one. */
  isStaleBootstrap(id: string): boolean {
    return id.startsWith(BOOTSTRAP_PREFIX) && id !== this.bootstrapId;
  }

  private get bootstrap(): Principal {
    return { keyId: this.bootstrapId, name: 'bootstrap-admin', role: 'admin' };
  }

  /** Creates a key; the secret is returned once and never stored. */
  async create(o: { name: string; role: Role; createdBy?: string }): Promise<ApiKeyInfo & { key: string }> {
    const id = newId('k');
    const key = newSecret('gdk');
    const rows = (await this.ds.query(
      `INSERT INTO api_keys (id, name, role, key_hash, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id, name, role, created_by, created_at, revoked_at`,
      [id, o.name, o.role, hashSecret(key), o.createdBy ?? null],
    )) as Row[];
    return { ...info(rows[0]), key };
  }

  async list(o: { includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
    const rows = (await this.ds.query(
      `SELECT id, name, role, created_by, created_at, revoked_at FROM api_keys ${o.includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`,
    )) as Row[];
    return rows.map(info);
  }

  /** Revokes a key and every refresh family of it. Idempotent; unknown ids fail. */
  async revoke(id: string): Promise<ApiKeyInfo> {
    if (id.startsWith(BOOTSTRAP_PREFIX)) throw new KeyNotFoundError('the bootstrap admin key comes from config (GODEL_ADMIN_KEY): change it there and restart', { id });
    return this.ds.transaction(async (m) => {
      const rows = (await m.query(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id, name, role, created_by, created_at, revoked_at`, [id])) as [Row[], number];
      const row = rows[0]?.[0];
      if (!row) throw new KeyNotFoundError(`no API key with id "${id}"`, { id });
      await m.query(`UPDATE refresh_families SET revoked_at = now(), revoked_reason = 'key revoked' WHERE key_id = $1 AND revoked_at IS NULL`, [id]);
      return info(row);
    });
  }

  /** The principal behind a presented API key, or auth.invalid. */
  async authenticate(key: string): Promise<Principal> {
    if (sameSecret(key, this.bootstrapKey)) return this.bootstrap;
    const rows = (await this.ds.query(`SELECT id, name, role, revoked_at FROM api_keys WHERE key_hash = $1`, [hashSecret(key)])) as Row[];
    const row = rows[0];
    if (!row || row.revoked_at) throw new AuthInvalidError('API key is unknown or revoked');
    return { keyId: row.id, name: row.name, role: row.role };
  }

  /** The principal of a key id (for refresh), or auth.invalid when it is gone or revoked. */
  async principal(id: string): Promise<Principal> {
    if (id === this.bootstrapId) return this.bootstrap;
    if (id.startsWith(BOOTSTRAP_PREFIX)) throw new AuthInvalidError('this login belongs to a previous bootstrap admin key (GODEL_ADMIN_KEY changed)');
    const rows = (await this.ds.query(`SELECT id, name, role, revoked_at FROM api_keys WHERE id = $1`, [id])) as Row[];
    const row = rows[0];
    if (!row || row.revoked_at) throw new AuthInvalidError('the API key behind this token is revoked');
    return { keyId: row.id, name: row.name, role: row.role };
  }

  /** Ids of every revoked key (revocation is permanent). */
  async revokedIds(): Promise<string[]> {
    const rows = (await this.ds.query(`SELECT id FROM api_keys WHERE revoked_at IS NOT NULL`)) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }
}
