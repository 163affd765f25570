import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** The current fencing epoch of each shard as PostgreSQL knows it; state writes must match it. */
@Entity({ name: 'shard_fence' })
export class ShardFenceEntity {
  @PrimaryColumn({ type: 'int' })
  shard!: number;

  @Column({ type: 'bigint' })
  epoch!: string;

  @Column({ type: 'text' })
  owner!: string;

  @Column({ name: 'fenced_at', type: 'timestamptz' })
  fencedAt!: Date;
}

/** Every lease grant, in order: the audit trail that shows no two activations of a shard overlapped. */
@Entity({ name: 'shard_lease_log' })
@Index('shard_lease_log_shard_idx', ['shard', 'epoch'])
export class ShardLeaseLogEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'int' })
  shard!: number;

  @Column({ type: 'bigint' })
  epoch!: string;

  @Column({ type: 'text' })
  owner!: string;

  @CreateDateColumn({ name: 'granted_at', type: 'timestamptz' })
  grantedAt!: Date;
}
