import type { Launcher } from '../runtime/launcher';
import type { ArgTemplate, CommandDialect } from './command-args';
import type { UsageReportingModes } from './usage-meter';

export interface CommandRuntimeOptions {
  /** How the CLI writes its JSON lines. */
  dialect: CommandDialect;
  /** Executable: a path (relative to `cwd`) or a name looked up on `baseEnv.PATH`. Default `claude` / `codex`. */
  command?: string;
  /** Argument template of every run (see `ArgTemplate`). Default: `DEFAULT_ARGS[dialect]`. */
  args?: ArgTemplate;
  /** Spliced in where the template says `{extraArgs}`: permission / sandbox policy, etc. */
  extraArgs?: string[];
  /** The agent's workspace. */
  cwd: string;
  /** The child's whole environment (nothing is inherited from this process). */
  baseEnv: Record<string, string>;
  /**
   * Continue one conversation across prompts: each run after the first passes the session / thread
   * id the previous run reported (`{sessionId}` in the template). Default true.
   */
  resume?: boolean;
  /** A session / thread id to resume on the first prompt (e.g. from before a restart). */
  sessionId?: string;
  /** Initial values of `{provider}` / `{model}` (`setModel` changes them for the next prompt). */
  provider?: string;
  model?: string;
  /** A run still going after this long is killed and ends with reason `timeout`. Default 30 min. */
  runTimeoutMs?: number;
  /** A run that writes nothing (stdout or stderr) for this long is killed likewise. Default: off. */
  idleTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL to the run's process group. Default 2 s. */
  killGraceMs?: number;
  /**
   * How long a CLI may linger after its final record (`result`, `turn.completed`, `turn.failed`)
   * before it is killed; the run still ends as the CLI reported (Claude Code can hang on after its
   * result, e.g. held by an MCP server). Default 10 s.
   */
  exitAfterEndMs?: number;
  /** Override how the CLI reports usage (default per dialect: `DEFAULT_USAGE_REPORTING`). */
  usageReporting?: Partial<UsageReportingModes>;
  /** `AgentRuntime.name`; default the dialect. */
  name?: string;
  /** Wraps each run's command before it is spawned (the process host puts it in the OS sandbox). */
  launcher?: Launcher;
}
