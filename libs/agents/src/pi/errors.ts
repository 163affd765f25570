/**
 * Errors of a coding-agent runtime process. Callers match on the stable `code` (errors cross
 * process boundaries), `retryable` says whether restarting / retrying the same thing may work.
 *
 * `AgentError` mirrors `GodelError` in libs/actors; it is defined here because `@godel/actors` does
 * not export its base yet. Once it does, these classes should extend it instead.
 */
export abstract class AgentError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;

  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): { code: string; message: string; retryable: boolean; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/** The runtime binary (or the `node` its shebang needs) is not there: installing it is the fix. */
export class AgentRuntimeMissingError extends AgentError {
  readonly code = 'agent.runtime_missing';
  readonly retryable = false;
}

/** The process could not be started for another reason (missing cwd, out of processes, ...). */
export class AgentSpawnError extends AgentError {
  readonly code = 'agent.spawn_failed';
  readonly retryable = true;
}

/** The process did not answer within the deadline (startup, a command, or an awaited event). */
export class AgentTimeoutError extends AgentError {
  readonly code = 'agent.timeout';
  readonly retryable = true;
}

/** The process wrote something that is not the protocol (reported as an event, never thrown). */
export class AgentProtocolError extends AgentError {
  readonly code = 'agent.protocol_error';
  readonly retryable = false;
}

/** The runtime answered a command with `success: false`. */
export class AgentCommandError extends AgentError {
  readonly code = 'agent.command_failed';
  readonly retryable = false;
}

/** The process is gone (or went away while a command was waiting for its answer). */
export class AgentProcessExitedError extends AgentError {
  readonly code = 'agent.process_exited';
  readonly retryable = true;
}
