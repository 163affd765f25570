import { readFile, readdir } from 'node:fs/promises';
import { AgentTimeoutError } from './errors';

/** On-CPU time and run-queue wait (ms) of a process and its descendants, from Linux's /proc. */
export interface TreeSched {
  cpuMs: number;
  waitMs: number;
}

/** A sample of `root`'s process tree; undefined where /proc cannot tell (not Linux, or the process is gone). */
export type SchedProbe = (root: number) => Promise<TreeSched | undefined>;

/**
 * How much of a window a process tree spent waiting for a CPU before a start counts as starved
 * rather than hung: a wedged process (blocked, or asleep waiting for nothing) waits on no run queue.
 */
export const STARVED_WAIT_MS = 1_000;

/** Sums /proc/<pid>/schedstat (runtime ns, run-queue wait ns) over `root` and its descendants. */
export const treeSched: SchedProbe = async (root) => {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const children = new Map<number, number[]>();
  await Promise.all(
    pids.map(async (d) => {
      const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!Number.isFinite(ppid)) return;
      const list = children.get(ppid);
      if (list) list.push(Number(d));
      else children.set(ppid, [Number(d)]);
    }),
  );
  const tree: number[] = [];
  for (let todo = [root]; todo.length > 0; ) {
    const pid = todo.pop()!;
    tree.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  let cpuNs = 0;
  let waitNs = 0;
  let seen = 0;
  for (const pid of tree) {
    const s = await readFile(`/proc/${pid}/schedstat`, 'utf8').catch(() => '');
    const [run, wait] = s.split(' ').map(Number);
    if (!Number.isFinite(run) || !Number.isFinite(wait)) continue;
    cpuNs += run;
    waitNs += wait;
    seen += 1;
  }
  return seen === 0 ? undefined : { cpuMs: cpuNs / 1e6, waitMs: waitNs / 1e6 };
};

/** At most this many `readyTimeoutMs` windows for a starved start (5 min at the default 30 s). */
export const MAX_READY_WINDOWS = 10;

/**
 * Waits for pi's first answer to one question (`ask`, given the longest deadline). Each window of
 * `readyTimeoutMs` without it ends the start (`agent.timeout`) unless the process tree spent at least
 * STARVED_WAIT_MS of that window waiting for a CPU: then the box is busy, not pi wedged, and the
 * start waits another window (issue 13: a start fails for its own reasons, never because the box is
 * busy), up to MAX_READY_WINDOWS.
 */
export async function waitReady(ask: (timeoutMs: number) => Promise<unknown>, pid: number, readyTimeoutMs: number, probe: SchedProbe): Promise<void> {
  const answer = ask(readyTimeoutMs * MAX_READY_WINDOWS).then(() => true);
  answer.catch(() => undefined); // a window may end the start first; the answer's own failure then goes unheard
  let last = await probe(pid);
  for (let window = 1; window < MAX_READY_WINDOWS; window++) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const windowEnd = new Promise<false>((r) => (timer = setTimeout(() => r(false), readyTimeoutMs)));
    const answered = await Promise.race([answer, windowEnd]).finally(() => clearTimeout(timer));
    if (answered) return;
    const now = await probe(pid);
    if (!last || !now || now.waitMs - last.waitMs < STARVED_WAIT_MS) throw new AgentTimeoutError(`no answer within ${readyTimeoutMs} ms`, { operation: 'startup', timeoutMs: readyTimeoutMs });
    last = now;
  }
  await answer;
}
