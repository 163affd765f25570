import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** The append-only event log: a global sequence, every agent, team and runtime fact. */
@Entity({ name: 'events' })
@Index('events_agent_idx', ['agent', 'seq'])
@Index('events_team_idx', ['team', 'seq'])
export class EventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text', nullable: true })
  agent!: string | null;

  @Column({ type: 'text', nullable: true })
  team!: string | null;

  @Column({ name: 'correlation_id', type: 'text', nullable: true })
  correlationId!: string | null;

  @Column({ type: 'jsonb' })
  data!: unknown;

  /** Set by an idempotent append (an outbox effect's id): unique, a second append is dropped. */
  @Column({ name: 'idem_key', type: 'text', nullable: true, unique: true })
  idemKey!: string | null;
}

/** An agent's coding-agent session (pi's JSONL), stored so it resumes anywhere and can be forked. */
@Entity({ name: 'agent_sessions' })
export class AgentSessionEntity {
  @Column({ type: 'text', primary: true })
  agent!: string;

  @Column({ type: 'text' })
  team!: string;

  @Column({ name: 'file_name', type: 'text' })
  fileName!: string;

  @Column({ type: 'text' })
  content!: string;

  @Column({ name: 'parent_agent', type: 'text', nullable: true })
  parentAgent!: string | null;

  @Column({ name: 'forked_from_entry', type: 'text', nullable: true })
  forkedFromEntry!: string | null;

  @Column({ name: 'base_commit', type: 'text', nullable: true })
  baseCommit!: string | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
