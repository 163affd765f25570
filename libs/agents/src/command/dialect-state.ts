import type { UsageMeter } from './usage-meter';

/** What a dialect normalizer remembers between lines (and, for the meter, between runs). */
export interface DialectState {
  /** The session / thread id the CLI reported last: what the next prompt resumes. */
  sessionId?: string;
  /** Tool call id → tool name, so a result can be named (Claude's tool_result has only the id). */
  toolNames: Map<string, string>;
  /** Codex items whose `tool.start` was emitted (a `file_change` often comes only as completed). */
  startedTools: Set<string>;
  /** The last assistant text of the run: the answer `agent.end` carries. */
  lastText?: string;
  meter: UsageMeter;
}

/** Per-run state is dropped; the session id and the usage meter's baselines stay. */
export function resetRunState(state: DialectState): void {
  state.toolNames.clear();
  state.startedTools.clear();
  state.lastText = undefined;
}
