import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Registered repositories (what operators may start work on, with the settings an admin chose) and
 * an index on `events.at` for retention (old events are deleted by time).
 */
export class RepositoriesRetention1764374400000 implements MigrationInterface {
  name = 'RepositoriesRetention1764374400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE repositories (
      path text PRIMARY KEY,
      verify text,
      maintenance boolean NOT NULL DEFAULT false,
      registered_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX events_at_idx ON events (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX events_at_idx`);
    await q.query(`DROP TABLE repositories`);
  }
}
