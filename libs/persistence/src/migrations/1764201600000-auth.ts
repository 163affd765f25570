import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys (hashed), refresh-token families and tokens (hashed), and the audit log of mutations. */
export class Auth1764201600000 implements MigrationInterface {
  name = 'Auth1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE api_keys (
      id text PRIMARY KEY,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
      key_hash text NOT NULL UNIQUE,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    )`);
    await q.query(`CREATE TABLE refresh_families (
      id text PRIMARY KEY,
      key_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      revoked_reason text
    )`);
    await q.query(`CREATE INDEX refresh_families_key_idx ON refresh_families (key_id)`);
    await q.query(`CREATE TABLE refresh_tokens (
      token_hash text PRIMARY KEY,
      family_id text NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      spent_at timestamptz
    )`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await q.query(`CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      request_id text NOT NULL,
      key_id text,
      key_name text,
      role text,
      method text NOT NULL,
      route text,
      path text NOT NULL,
      target text,
      status integer NOT NULL
    )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at)`);
    await q.query(`CREATE INDEX audit_log_key_idx ON audit_log (key_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE refresh_families`);
    await q.query(`DROP TABLE api_keys`);
  }
}
