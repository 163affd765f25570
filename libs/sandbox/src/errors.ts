import { GodelError } from '@godel/actors';

/**
 * bubblewrap is missing or does not work here. Fails closed: nothing runs unsandboxed unless the
 * operator chose `GODEL_SANDBOX=off` (development only).
 */
export class SandboxUnavailableError extends GodelError {
  readonly code = 'sandbox.unavailable';
  readonly retryable = false;
}

/** A sandbox request that cannot be honoured (a relative path, a path that does not exist...). */
export class SandboxInvalidError extends GodelError {
  readonly code = 'sandbox.invalid';
  readonly retryable = false;
}

export const INSTALL_HINT =
  'install the package `bubblewrap` (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or set GODEL_SANDBOX=off for development only';
