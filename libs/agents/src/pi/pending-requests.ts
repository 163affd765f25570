import { AgentCommandError, AgentTimeoutError } from './errors';
import type { PiResponse } from './pi-protocol';

interface Pending {
  id: string;
  command: string;
  sentAt: number;
  resolve: (response: PiResponse) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Commands waiting for pi's `response`, each with a deadline. pi echoes the command's `id`, and
 * may answer commands out of order (it handles them concurrently), so ids are the only reliable
 * match. pi leaves the id off only when it could not read the command (`command: "parse"`) or did
 * not know its type; such answers go to the oldest waiting command of that type.
 */
export class PendingRequests {
  private readonly waiting = new Map<string, Pending>();
  private counter = 0;

  constructor(private readonly idPrefix: string) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Registers a command; the promise settles with its response, a timeout or `failAll`. */
  open(command: string, timeoutMs: number): { id: string; response: Promise<PiResponse> } {
    this.counter += 1;
    const id = `${this.idPrefix}-${this.counter}`;
    const response = new Promise<PiResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(
          new AgentTimeoutError(`pi did not answer "${command}" within ${timeoutMs} ms`, { operation: command, id, timeoutMs }),
        );
      }, timeoutMs);
      this.waiting.set(id, { id, command, sentAt: Date.now(), resolve, reject, timer });
    });
    return { id, response };
  }

  /**
   * Settles the command `response` answers. Returns false when nothing was waiting for it (an
   * unknown id, or an answer that came after its deadline).
   */
  settle(response: PiResponse): boolean {
    const pending = response.id !== undefined ? this.waiting.get(response.id) : this.oldestFor(response.command);
    if (!pending) return false;
    this.waiting.delete(pending.id);
    clearTimeout(pending.timer);
    if (response.success) pending.resolve(response);
    else {
      const message = `pi refused "${pending.command}": ${response.error ?? 'no reason given'}`;
      pending.reject(new AgentCommandError(message, { command: pending.command, id: pending.id, error: response.error }));
    }
    return true;
  }

  /** Rejects one command (e.g. it could not be written). */
  fail(id: string, err: Error): void {
    const pending = this.waiting.get(id);
    if (!pending) return;
    this.waiting.delete(id);
    clearTimeout(pending.timer);
    pending.reject(err);
  }

  /** Rejects everything still waiting, e.g. when the process exits. */
  failAll(makeError: (command: string, id: string) => Error): void {
    for (const pending of [...this.waiting.values()]) this.fail(pending.id, makeError(pending.command, pending.id));
  }

  private oldestFor(command: string): Pending | undefined {
    for (const pending of this.waiting.values()) if (pending.command === command) return pending;
    return undefined;
  }
}
