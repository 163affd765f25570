/**
 * Base of every domain error. Errors cross process boundaries (child processes, Redis, HTTP), so
 * callers match on the stable `code`, never on `instanceof`; `retryable` tells whether the same
 * call may succeed later.
 */
export abstract class GodelError extends Error {
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

/** True when `err` carries the given stable error code (works across process boundaries). */
export function hasErrorCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
