import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EventsAndSessions1764118800000 implements MigrationInterface {
  name = 'EventsAndSessions1764118800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE events (
      seq bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT clock_timestamp(),
      type text NOT NULL,
      agent text,
      team text,
      correlation_id text,
      data jsonb NOT NULL DEFAULT '{}'::jsonb
    )`);
    await q.query(`CREATE INDEX events_agent_idx ON events (agent, seq)`);
    await q.query(`CREATE INDEX events_team_idx ON events (team, seq)`);
    await q.query(`CREATE TABLE agent_sessions (
      agent text PRIMARY KEY,
      team text NOT NULL,
      file_name text NOT NULL,
      content text NOT NULL,
      parent_agent text,
      forked_from_entry text,
      base_commit text,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX agent_sessions_parent_idx ON agent_sessions (parent_agent)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agent_sessions`);
    await q.query(`DROP TABLE events`);
  }
}
