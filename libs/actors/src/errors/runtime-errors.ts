import { GodelError } from './godel-error';

export class InvalidActorIdError extends GodelError {
  readonly code = 'actor.invalid_id';
  readonly retryable = false;
  constructor(address: string, why: string) {
    super(`invalid actor address "${address}": ${why}`, { address });
  }
}

export class UnknownActorKindError extends GodelError {
  readonly code = 'actor.unknown_kind';
  readonly retryable = false;
  constructor(kind: string, known: readonly string[]) {
    super(`no actor kind "${kind}" is registered (known: ${known.join(', ') || 'none'})`, { kind, known });
  }
}

export class MailboxFullError extends GodelError {
  readonly code = 'mailbox.full';
  readonly retryable = true;
  constructor(actor: string, limit: number) {
    super(`mailbox of ${actor} is full (${limit} messages waiting); retry later`, { actor, limit });
  }
}

export class MessageTooLargeError extends GodelError {
  readonly code = 'message.too_large';
  readonly retryable = false;
  constructor(bytes: number, limit: number) {
    super(`message of ${bytes} bytes exceeds the limit of ${limit} bytes`, { bytes, limit });
  }
}

export class MalformedEnvelopeError extends GodelError {
  readonly code = 'envelope.malformed';
  readonly retryable = false;
  constructor(why: string) {
    super(`malformed envelope: ${why}`);
  }
}

export class AskTimeoutError extends GodelError {
  readonly code = 'ask.timeout';
  readonly retryable = true;
  constructor(actor: string, type: string, timeoutMs: number) {
    super(`no reply from ${actor} to "${type}" within ${timeoutMs} ms (the message stays queued and will be handled)`, {
      actor,
      type,
      timeoutMs,
    });
  }
}

/** A write or side effect carried an epoch older than the shard's current one: this activation is a zombie. */
export class StaleEpochError extends GodelError {
  readonly code = 'lease.stale_epoch';
  readonly retryable = false;
  constructor(shard: number, epoch: number, detail = '', current?: number) {
    super(`shard ${shard}: epoch ${epoch} is no longer current${detail ? ` (${detail})` : ''}`, { shard, epoch, current });
  }
}

export class StorageUnavailableError extends GodelError {
  readonly code = 'storage.unavailable';
  readonly retryable = true;
  constructor(what: string, cause: unknown) {
    super(`${what} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { what });
  }
}

export class HandlerError extends GodelError {
  readonly code = 'actor.handler_failed';
  readonly retryable = false;
  constructor(actor: string, type: string, attempts: number, cause: unknown) {
    const causeCode = typeof (cause as { code?: unknown })?.code === 'string' ? (cause as { code: string }).code : undefined;
    super(`${actor} failed to handle "${type}" ${attempts} time(s): ${cause instanceof Error ? cause.message : String(cause)}`, {
      actor,
      type,
      attempts,
      // The handler's own stable code (e.g. message.unknown_type), so the API can tell a bad message from a bug.
      ...(causeCode ? { causeCode } : {}),
    });
  }
}

/** An actor received a message type it does not handle: the sender's mistake, not the actor's. */
export class UnknownMessageError extends GodelError {
  readonly code = 'message.unknown_type';
  readonly retryable = false;
  constructor(kind: string, type: string) {
    super(`${kind} actors do not handle message type "${type}"`, { kind, type });
  }
}

/** A turn asked for a custom effect no executor is registered for (a programming error: the turn fails). */
export class UnknownEffectError extends GodelError {
  readonly code = 'effect.unknown_type';
  readonly retryable = false;
  constructor(kind: string, type: string) {
    super(`no executor for effect "${type}" (asked by a ${kind} actor): register it with the actor definition or ActorSystem.registerEffect`, { kind, type });
  }
}

export class RuntimeStoppedError extends GodelError {
  readonly code = 'runtime.stopped';
  readonly retryable = true;
  constructor() {
    super('the actor runtime is shutting down; retry on another instance');
  }
}

/** Rebuilds an error received from another process (reply channel, dead letter) with its code. */
export class RemoteError extends GodelError {
  readonly retryable: boolean;
  constructor(
    readonly code: string,
    message: string,
    retryable: boolean,
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
    this.retryable = retryable;
  }
}

/**
 * The instance cannot reach its mailbox store (Redis) within the deadline. `outcome`: `not_sent`
 * (nothing happened) or `unknown` (the command may have run; retrying with the same message id is
 * safe, sends are deduplicated by id).
 */
export class MailboxUnavailableError extends GodelError {
  readonly code = 'mailbox.unavailable';
  readonly retryable = true;
  constructor(what: string, outcome: 'not_sent' | 'unknown', cause?: unknown) {
    super(`${what}: Redis unreachable${cause ? ` (${cause instanceof Error ? cause.message : String(cause)})` : ''}`, { what, outcome, retryAfterS: 1 });
  }
}
