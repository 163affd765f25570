import type { Lease } from '../ports';
import type { Activation } from './activation';
import type { Batcher } from './batcher';
import type { AckItem } from '../ports';

/** A shard this instance holds a lease on, with everything that lives under that lease. */
export interface OwnedShard {
  readonly shard: number;
  readonly lease: Lease;
  /** recovering: redelivering pending entries; active: reading new ones; closing: being released or lost. */
  status: 'recovering' | 'active' | 'closing';
  /** Id of the last entry the group delivered to us (XREAD waits for anything after it). */
  lastId: string;
  /** Monotonic time after which we stop believing we hold the lease (last renewal sent + TTL - margin). */
  validUntil: number;
  /** The last read filled its batch: read again without waiting. */
  backlog: boolean;
  /** Entries read and not yet settled. */
  inFlight: number;
  readonly activations: Map<string, Activation>;
  readonly acks: Batcher<AckItem, void>;
  /** The read in progress, if any: a release waits for it so nothing read is left unhandled. */
  reading?: Promise<void>;
}
