import type { CreatedSlot } from '@godel/workspace';
import type { PiRpcProcess } from '../pi/pi-rpc-process';
import type { Admission } from './admission';
import type { PoolConfig, PoolTemplate } from './warm-pool-config';

/** The warm pool's shapes (warm-pool.ts): slots, dependencies, claims, and the pool of one kind. */

/** One pre-started process: its folders (agent root, worktree slot) and its pi. */
export interface PoolSlot {
  id: string;
  /** Admission identity while pooled (`pool:<id>`). */
  admissionId: string;
  key: string;
  template: PoolTemplate;
  /** The slot's own folder (pi dir, sessions, scratch home) as the process sees it. */
  root: string;
  /** The detached worktree the process runs in. */
  worktree: string;
  /** The repository as the slot's creation found it. */
  repo?: CreatedSlot['repo'];
  pi?: PiRpcProcess;
  state: 'filling' | 'idle' | 'claimed' | 'gone';
}

export interface WarmPoolDeps {
  /** The host's folder: slots live in `<rootDir>/.pool/<pid>-<random>/` (warm-pool-dirs). */
  rootDir: string;
  config: PoolConfig;
  admission: Admission;
  /** Starts the sandboxed pi of a slot (its folders exist; the worktree is checked out). */
  launch(slot: PoolSlot): Promise<PiRpcProcess>;
  /** Pool facts for the event log (`agent.pool_*`). */
  record(type: string, data: Record<string, unknown>): void;
  /** Deadline of the liveness check before a slot is handed out. Default 2 s. */
  pingTimeoutMs?: number;
  /** Refills wait until no claim has run for this long (claims get the CPU first). Default 500 ms. */
  refillQuietMs?: number;
}

/** Where a claim's time went (ms), for the `agent.pool_claimed` event. */
export interface ClaimPhases {
  /** The slot's process answering get_state, side by side with `planMs`. */
  pingMs: number;
  /** The repository's side of the adoption (base commit, clean main tree, target free). */
  planMs: number;
  /** The slot's side: `git checkout -b`, metadata, the moves of the worktree and the agent folder. */
  adoptMs: number;
}

export interface ClaimRequest {
  team: string;
  name: string;
  baseRef: string;
  worktreesRoot: string;
  sharedDirs?: readonly string[];
}

export interface Pool {
  template: PoolTemplate;
  idle: PoolSlot[];
  filling: number;
  /** Consecutive failed fills: the pool backs off after a few. */
  failures: number;
  retryAt: number;
  /** Set by `want(template, size)`, over the configuration. */
  size?: number;
  /** When agents of this kind were last wanted (a claim, a cold start, `want`): idle pools shrink. */
  lastUsed: number;
  /** When a process of this pool last became idle (a process is stopped only after idling `idleMs`). */
  lastIdle: number;
}
