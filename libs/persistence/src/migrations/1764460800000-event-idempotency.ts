import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotent event appends: an event written by an actor's outbox effect carries the effect's id as
 * `idem_key`; a second append with the same key (the effect ran again after a crash) is dropped.
 * Events without a key (NULL) are never deduplicated.
 */
export class EventIdempotency1764460800000 implements MigrationInterface {
  name = 'EventIdempotency1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events ADD COLUMN idem_key text`);
    await q.query(`CREATE UNIQUE INDEX events_idem_key_idx ON events (idem_key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX events_idem_key_idx`);
    await q.query(`ALTER TABLE events DROP COLUMN idem_key`);
  }
}
