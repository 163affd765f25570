import type { EventLog } from '@godel/persistence';
import type { Context, Span } from '@godel/observability';
import type { Sandbox } from '@godel/sandbox';
import type { CommandDialect } from '../command/command-args';
import type { PiRpcProcess } from '../pi/pi-rpc-process';
import type { AgentRuntime } from '../runtime/agent-runtime';
import type { ProviderRef } from './provider-chain';
import type { PoolConfig } from './warm-pool-config';

export interface AgentHostDeps {
  /** Sends a message to an actor (the runtime's tell). */
  tell(to: string, type: string, payload: unknown): Promise<void>;
  events: EventLog;
  /** Per-agent folders (pi agent dir, session files) live under it. */
  rootDir: string;
  piBin: string;
  /**
   * Where an agent's environment comes from: PATH and locale, and the provider keys its chain names
   * (by name). Nothing else is passed; HOME is the agent's own scratch folder.
   */
  baseEnv: Record<string, string>;
  /** The OS sandbox every agent process runs in. Default: bubblewrap (fails closed without it). */
  sandbox?: Sandbox;
  /** Folders emptied inside the sandbox even below a readable folder (Godel's home). */
  hiddenDirs?: string[];
  /** Deadline of control commands to a process (a wedged process must not hang the actor). */
  commandTimeoutMs?: number;
  /** Deadline for a started process to answer its first get_state (counted from its spawn, after admission). */
  readyTimeoutMs?: number;
  /**
   * Admission control (GODEL_AGENT_START_CONCURRENCY, GODEL_MAX_AGENTS): starts beyond these wait
   * in a queue. Default: one start per core, agents by total memory (~180 MB each, 1 GiB headroom).
   */
  admission?: { startConcurrency?: number; maxAgents?: number };
  /**
   * The warm pool (GODEL_AGENT_POOL_SIZE, GODEL_AGENT_POOL_SIZES): pre-started sandboxed pi
   * processes per (repository, role, providers), claimed by `claim`. Default: off (size 0).
   */
  pool?: PoolConfig;
}

/**
 * A turn's spending limit, as session totals (comparable with `stats`): the agent's own budget and
 * what is left of its team's. `used` is the session's total when the turn started.
 */
export interface TurnLimit {
  used: { total: number; costUsd: number };
  tokens?: number;
  costUsd?: number;
  scope: { tokens?: 'agent' | 'team'; costUsd?: 'agent' | 'team' };
}

/** What the mid-turn guard saw when it stopped a turn over its limit. */
export interface LimitHit {
  scope: 'agent' | 'team';
  /** Session totals when the limit was crossed, from the streamed usage of each model response. */
  total: number;
  costUsd: number;
  /** Tokens of the response that crossed the limit (the most a turn can overshoot by). */
  lastResponseTokens: number;
  limitTokens?: number;
  limitCostUsd?: number;
}

export interface Running {
  /** The current turn's limit and what its responses used so far (mid-turn budget enforcement). */
  limit?: TurnLimit;
  turnUsage?: { total: number; costUsd: number };
  limitHit?: LimitHit;
  /** Every runtime through one interface; `pi` is kept for what only pi has (session file, history, guard). */
  runtime: AgentRuntime;
  pi?: PiRpcProcess;
  stopping: boolean;
  team: string;
  correlationId?: string;
  /** Trace context of the turn that last prompted the process: its tool calls and turn end belong there. */
  trace?: Context;
  /** The message (envelope id) whose turn last prompted this process: a re-run of that turn does not prompt twice. */
  promptedBy?: string;
  /** A prompt under way (its message and its send): a re-run of that turn meanwhile waits for it instead of sending again. */
  prompting?: { by: string; sent: Promise<void> };
  tools?: Map<string, Span>;
  /**
   * A process that came from the warm pool: it sees its folders at the slot's paths (its sandbox
   * was made there), which were renamed to the agent's. `pending` until `spawn` gave it its session.
   */
  pooled?: { slotRoot: string; agentRoot: string; slotWorktree: string; model: string; provider: string; pending: boolean; reload: boolean };
}

/** Which coding-agent CLI an agent runs: pi (default) or a CLI streaming JSON lines. */
export type RuntimeSpec = { kind: 'pi' } | { kind: 'command'; dialect: CommandDialect; command?: string; extraArgs?: string[] };

export interface SpawnSpec {
  cwd: string;
  runtime?: RuntimeSpec;
  team: string;
  providers: ProviderRef[];
  providerIndex: number;
  /** Folders outside the worktree the agent may read (e.g. the shared node_modules). */
  readRoots?: string[];
  /** pi's tool allow-list (`--tools`); read-only roles get read-only tools. Default: pi's own. */
  tools?: string[];
  /** Resume this session (a file name under the agent's session dir, content given). */
  session?: { fileName: string; content: string };
  correlationId?: string;
}

