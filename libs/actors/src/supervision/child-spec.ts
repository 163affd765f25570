/**
 * How a supervisor starts and stops one child (OTP's child specification, reduced to what a
 * supervisor needs). `start` resolving means the child is up; `start` throwing or rejecting is a
 * failure of that child, handled by the supervisor's strategy like any other. `stop` is
 * best-effort cleanup and should be idempotent: it is also called on a child that just failed.
 */
export interface ChildSpec {
  /** Unique within the supervisor; names the child in decisions and events. */
  id: string;
  start(): Promise<void> | void;
  stop(reason: string): Promise<void> | void;
}

/**
 * - `starting`: `start()` in progress; `running`: started and not stopped since;
 * - `pending`: stopped by a restart, waiting for its backoff delay;
 * - `stopped`: not running (its supervisor is stopped, or its start failed and it was resumed).
 */
export type ChildStatus = 'starting' | 'running' | 'pending' | 'stopped';
