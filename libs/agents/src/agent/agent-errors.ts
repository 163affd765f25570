import { AgentError } from '../pi/errors';

/** The agent is not in a state that accepts the request (prompting an agent that never started, or stopped). */
export class AgentStateError extends AgentError {
  readonly code = 'agent.invalid_state';
  readonly retryable = false;
  constructor(status: string, action: string) {
    super(`agent is ${status}: cannot ${action}`, { status, action });
  }
}
