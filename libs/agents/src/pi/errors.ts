import { GodelError } from '@godel/actors';

/**
 * Errors of a coding-agent runtime process: Godel's domain errors (stable `code`, `retryable`,
 * `toJSON`), matched by code because they cross process boundaries.
 */
export abstract class AgentError extends GodelError {}

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
