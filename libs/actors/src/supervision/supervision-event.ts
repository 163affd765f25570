import type { Directive } from './directive';
import type { SupervisionDecision } from './strategy';

/** One supervision decision, flat and serializable, for logs, metrics and the event stream. */
export interface SupervisionEvent {
  supervisor: string;
  /** The child that failed (for an escalation from below, the child supervisor's name). */
  child: string;
  directive: Directive;
  attempt: number;
  delayMs: number;
  /** Children restarted or stopped by this decision, in start order. */
  affected: string[];
  reason?: string;
  /** Message of the failure. */
  error: string;
  /** Stable `code` of the failure when it has one (a GodelError or its JSON form). */
  errorCode?: string;
}

/** Passed to `onEscalatedToRoot` when a supervisor without a parent has to escalate. */
export interface RootEscalation {
  supervisor: string;
  child: string;
  error: unknown;
  reason?: string;
}

export function supervisionEvent(
  supervisor: string,
  child: string,
  decision: SupervisionDecision,
  error: unknown,
): SupervisionEvent {
  const { directive, attempt, delayMs, affected, reason } = decision;
  const event: SupervisionEvent = { supervisor, child, directive, attempt, delayMs, affected: [...affected], error: errorMessage(error) };
  if (reason !== undefined) event.reason = reason;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string') event.errorCode = code;
  return event;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}
