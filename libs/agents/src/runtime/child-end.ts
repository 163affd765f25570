import type { ChildProcessWithoutNullStreams } from 'node:child_process';

/** How long after 'exit' the pipes may stay open (a grandchild holding them) before they are cut. */
export const CLOSE_AFTER_EXIT_MS = 2_000;

export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Calls `done` exactly once when the child is finished: on 'close' (pipes drained), or, when
 * something it started keeps the pipes open, CLOSE_AFTER_EXIT_MS after 'exit' (the pipes are then
 * destroyed). `onExit` runs at 'exit', before the grace period.
 */
export function onChildEnd(child: ChildProcessWithoutNullStreams, done: (end: ChildEnd) => void, onExit?: (end: ChildEnd) => void): void {
  let fallback: NodeJS.Timeout | undefined;
  let ended = false;
  const finish = (end: ChildEnd) => {
    if (ended) return;
    ended = true;
    clearTimeout(fallback);
    done(end);
  };
  child.once('exit', (code, signal) => {
    onExit?.({ code, signal });
    fallback = setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
      finish({ code, signal });
    }, CLOSE_AFTER_EXIT_MS);
  });
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => finish({ code, signal }));
}
