import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Committed state of one actor: written only with the current fencing epoch of its shard. */
@Entity({ name: 'actor_state' })
@Index('actor_state_shard_idx', ['shard'])
export class ActorStateEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'int' })
  shard!: number;

  @Column({ type: 'bigint' })
  epoch!: string;

  @Column({ type: 'bigint' })
  version!: string;

  /** Stream id of the last handled message: redeliveries at or below it are no-ops. */
  @Column({ name: 'last_seq', type: 'text' })
  lastSeq!: string;

  @Column({ type: 'jsonb' })
  state!: unknown;

  /** Effects of the last turn, kept until they are known to have run. */
  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  outbox!: unknown;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
