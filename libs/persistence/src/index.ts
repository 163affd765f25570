export { openDatabase, ENTITIES, MIGRATIONS } from './data-source';
export type { DatabaseOptions } from './data-source';
export { PgStateStore } from './pg-state-store';
export { ActorStateEntity } from './entities/actor-state.entity';
export { ShardFenceEntity, ShardLeaseLogEntity } from './entities/shard-fence.entity';
