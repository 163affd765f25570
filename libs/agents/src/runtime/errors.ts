import { AgentError } from '../pi/errors';

/**
 * The runtime cannot do what was asked by design (e.g. `steer` on a CLI that runs one process per
 * prompt). Check `AgentRuntime.capabilities` first; retrying will not help.
 */
export class AgentUnsupportedError extends AgentError {
  readonly code = 'agent.unsupported';
  readonly retryable = false;
}

/**
 * The agent itself reported that a run failed: the model or provider erred (pi's `stopReason:
 * "error"`), a CLI's result said `is_error`, Codex sent `turn.failed`. The process is fine; a retry
 * (possibly on another model) may work.
 */
export class AgentRunError extends AgentError {
  readonly code = 'agent.run_failed';
  readonly retryable = true;
}
