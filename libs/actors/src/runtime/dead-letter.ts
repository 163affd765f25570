import { encodeEnvelope } from '../envelope';
import type { AckItem, MailboxEntry } from '../ports';

export interface DeadLetterCause {
  code: string;
  reason: string;
  /** Handler attempts made (0: never handed to a handler). */
  attempts: number;
  at: number;
}

/**
 * The ack that moves `entry` to its shard's dead-letter stream (the only place a dead letter is
 * built). Only entries our own send script wrote (with an envelope) count towards an actor's depth,
 * so a malformed entry is acked without an actor.
 */
export function deadLetterAck(entry: MailboxEntry, cause: DeadLetterCause): AckItem {
  return {
    streamId: entry.streamId,
    actor: entry.envelope ? entry.actor : '',
    deadLetter: {
      streamId: entry.streamId,
      actor: entry.actor,
      type: entry.envelope?.type ?? '',
      reason: cause.reason,
      code: cause.code,
      attempts: cause.attempts,
      envelope: entry.envelope ? encodeEnvelope(entry.envelope) : '',
      at: cause.at,
    },
  };
}
