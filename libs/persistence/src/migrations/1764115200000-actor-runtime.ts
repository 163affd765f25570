import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ActorRuntime1764115200000 implements MigrationInterface {
  name = 'ActorRuntime1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE actor_state (
      id text PRIMARY KEY,
      kind text NOT NULL,
      shard int NOT NULL,
      epoch bigint NOT NULL,
      version bigint NOT NULL,
      last_seq text NOT NULL,
      state jsonb NOT NULL,
      outbox jsonb NOT NULL DEFAULT '[]'::jsonb,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX actor_state_shard_idx ON actor_state (shard)`);
    await q.query(`CREATE TABLE shard_fence (
      shard int PRIMARY KEY,
      epoch bigint NOT NULL,
      owner text NOT NULL,
      fenced_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE TABLE shard_lease_log (
      id bigserial PRIMARY KEY,
      shard int NOT NULL,
      epoch bigint NOT NULL,
      owner text NOT NULL,
      granted_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`);
    await q.query(`CREATE INDEX shard_lease_log_shard_idx ON shard_lease_log (shard, epoch)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE shard_lease_log`);
    await q.query(`DROP TABLE shard_fence`);
    await q.query(`DROP TABLE actor_state`);
  }
}
