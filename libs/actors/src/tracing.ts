import type { Envelope, TraceCarrier } from './envelope';

/**
 * Optional port: observes turns (tracing, turn latency). The runtime asks it for the sender's
 * trace context when it builds an envelope, and runs every turn through `turn`, so a turn's span is
 * a child of the span that sent the message — across instances, since the context travels in the
 * envelope. Without an observer the runtime does neither.
 */
export interface TurnObserver {
  /** The caller's current trace context, or undefined when nothing is traced. */
  carrier(): TraceCarrier | undefined;
  /** Runs one turn of `actor` handling `envelope` (its commit and effects included). */
  turn<T>(actor: string, kind: string, envelope: Envelope, fn: () => Promise<T>): Promise<T>;
}
