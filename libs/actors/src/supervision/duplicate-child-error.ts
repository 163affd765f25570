import { GodelError } from '../errors/godel-error';

/** A supervisor already has a child with this id; ids name children for restarts and events. */
export class DuplicateChildError extends GodelError {
  readonly code = 'supervision.duplicate_child';
  readonly retryable = false;

  constructor(supervisor: string, child: string) {
    super(`supervisor '${supervisor}' already has a child '${child}'`, { supervisor, child });
  }
}
