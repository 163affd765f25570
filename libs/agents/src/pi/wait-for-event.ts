import { AgentTimeoutError } from './errors';
import type { EventHub } from './event-hub';
import type { PiEvent } from './pi-protocol';

/**
 * The next event of `type` on `hub` (matching `where`): rejects with `agent.timeout` after
 * `timeoutMs`, or with `closed()` when the hub closes (the process exited) first.
 */
export function waitForHubEvent<K extends PiEvent['type']>(
  hub: EventHub<PiEvent>,
  type: K,
  timeoutMs: number,
  where: ((event: Extract<PiEvent, { type: K }>) => boolean) | undefined,
  closed: () => Error,
): Promise<Extract<PiEvent, { type: K }>> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      unsubscribe();
      unClose();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new AgentTimeoutError(`no "${type}" event from pi within ${timeoutMs} ms`, { operation: `wait:${type}`, timeoutMs }));
    }, timeoutMs);
    const unsubscribe = hub.subscribe((event) => {
      if (event.type !== type) return;
      const typed = event as Extract<PiEvent, { type: K }>;
      if (where && !where(typed)) return;
      cleanup();
      resolve(typed);
    });
    const unClose = hub.onClose(() => {
      cleanup();
      reject(closed());
    });
  });
}
