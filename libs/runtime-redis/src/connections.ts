import { MailboxUnavailableError } from '@godel/actors';
import type { RedisOptions } from 'ioredis';
import { duplicateRaw, type RedisClient } from './redis-client';

/**
 * Connection options, decided per kind of client (docs/adr/0004). ioredis 6 defaults
 * (`autoResendUnfulfilledCommands: true`, `maxRetriesPerRequest: 20`) resend a command whose reply
 * was lost in a cut: Redis may run it twice. The runtime's clients never resend blindly:
 * - `autoResendUnfulfilledCommands: false` drops the unanswered commands at a cut, and
 * - `maxRetriesPerRequest: 0` rejects them at once (ioredis flushes its queues on every close; with
 *   autoResend off and `null`, their promises would never settle).
 * - `enableOfflineQueue: true`: a command issued while reconnecting waits for the next connection
 *   and is sent exactly once (it was never sent before), or fails at the next failed attempt.
 * A rejected command's outcome is unknown; every caller either retries an idempotent command
 * (`retryAcrossReconnects`: sends deduplicated by envelope id, fenced acks, lease renewals) or
 * gives up and lets its loop try again.
 */
export const RUNTIME_CLIENT_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  enableOfflineQueue: true,
  enableAutoPipelining: false,
};

/**
 * BullMQ connections: BullMQ requires `maxRetriesPerRequest: null` (blocking commands wait through
 * reconnects). Its scripts are keyed by job id and lock token, a job whose move was resent is
 * recovered by BullMQ's stalled-job check, and what our jobs do is deduplicated by job id, so the
 * default resend is harmless there; with resend off and `null`, an unanswered command would hang.
 */
export const BULLMQ_CLIENT_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: null,
  autoResendUnfulfilledCommands: true,
  enableOfflineQueue: true,
  enableAutoPipelining: false,
};

/**
 * Subscriber connections: the same as BullMQ's. SUBSCRIBE is idempotent, and ioredis re-subscribes on
 * every reconnect WITHOUT catching the promise: with `maxRetriesPerRequest: 0` a cut during that
 * re-subscription is an unhandled rejection (seen in test/runtime/reconnects.int-spec.ts).
 */
export const SUBSCRIBER_CLIENT_OPTIONS: RedisOptions = BULLMQ_CLIENT_OPTIONS;

/** Attaches the error listener every connection needs (else ioredis prints "Unhandled error event"). */
export function withErrorListener<T extends RedisClient>(client: T, onError: (err: Error) => void = () => undefined): T {
  client.on('error', onError);
  return client;
}

/** A duplicate of `client` with its own error listener (options override the parent's; per node on a cluster). */
export function duplicateClient<T extends RedisClient>(client: T, options: RedisOptions = {}, onError?: (err: Error) => void): T {
  return withErrorListener(duplicateRaw(client, options) as T, onError);
}

const CONNECTION_ERROR = /Connection is closed|Cluster is ended|Too many Cluster redirections|CLUSTERDOWN|TRYAGAIN|max retries per request|Stream isn't writeable|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENOTCONN|EHOSTUNREACH|socket/i;

/** True when `err` says the command may not have run (or its reply was lost), not that Redis refused it. */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  if (e.name === 'MaxRetriesPerRequestError') return true;
  return CONNECTION_ERROR.test(String(e.message ?? '')) || CONNECTION_ERROR.test(String(e.code ?? ''));
}

const SILENT = Symbol('silent');

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(SILENT), ms)));
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

/** One shared wait per client for its next 'ready' (many callers wait at once during an outage). */
const nextReady = new WeakMap<RedisClient, Promise<true>>();

/** Resolves true when the client is connected, or false after `ms`. */
export async function whenReady(client: RedisClient, ms: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  if (ms <= 0) return false;
  let ready = nextReady.get(client);
  if (!ready) {
    ready = new Promise<true>((resolve) => client.once('ready', () => resolve(true)));
    nextReady.set(client, ready);
    void ready.then(() => nextReady.delete(client));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const v = await Promise.race([ready, timeout]);
  clearTimeout(timer);
  return v;
}

/**
 * Runs an IDEMPOTENT command until it gets an answer: a cut rejects it (its outcome is unknown), it
 * is run again once the client is back. Only for commands whose repetition is harmless. After
 * `deadlineMs` without an answer: `mailbox.unavailable` (retryable), saying whether the command may
 * have run.
 */
export async function retryAcrossReconnects<T>(client: RedisClient, what: string, deadlineMs: number, fn: () => Promise<T>): Promise<T> {
  const end = performance.now() + deadlineMs;
  let attempted = false;
  let lastError: unknown;
  for (;;) {
    const left = end - performance.now();
    if (!(await whenReady(client, left))) throw new MailboxUnavailableError(what, attempted ? 'unknown' : 'not_sent', lastError);
    try {
      // A command on a connection that went silent (no close seen) must not hold the caller past the deadline.
      return await withDeadline(fn(), Math.max(1, end - performance.now()));
    } catch (err) {
      if (err === SILENT) throw new MailboxUnavailableError(what, 'unknown', new Error('no answer before the deadline'));
      if (!isConnectionError(err)) throw err;
      attempted = true;
      lastError = err;
      if (performance.now() >= end) throw new MailboxUnavailableError(what, 'unknown', err);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
