import { EXIT } from '../cli-error';
import type { GodelEvent, GodelHttp } from '../http';
import type { Output } from '../output';
import { parseAgentRef } from './agent';

export interface EventFilter {
  team?: string;
  /** TEAM/NAME (or the address agent/TEAM:NAME). */
  agent?: string;
  type?: string;
}

function query(f: EventFilter): Record<string, string | undefined> {
  let agent = f.agent;
  if (agent !== undefined) {
    const [team, name] = parseAgentRef(agent);
    agent = `agent/${team}:${name}`; // the address form the log stores (agentAddress in @godel/agents)
  }
  return { team: f.team, agent, type: f.type };
}

/** One line per event for people: sequence, time, type, agent, a short look at the data. */
export function formatEvent(e: GodelEvent): string {
  const data = JSON.stringify(e.data);
  const time = e.at.slice(11, 23);
  return `${String(e.seq).padStart(6)}  ${time}  ${e.type.padEnd(24)} ${(e.agent || e.team || '-').padEnd(18)} ${data.length > 100 ? `${data.slice(0, 99)}…` : data}`;
}

/** `godel events replay`: every stored event after `after` (paged), then exit. */
export async function eventsReplay(http: GodelHttp, out: Output, after: number, filter: EventFilter, max?: number): Promise<number> {
  let cursor = after;
  let shown = 0;
  for (;;) {
    const limit = Math.min(1000, max !== undefined ? max - shown : 1000);
    if (limit <= 0) break;
    const page = await http.get<{ items: GodelEvent[] }>('/api/v1/events', { ...query(filter), after: cursor, limit });
    for (const e of page.items) {
      out.emit(e);
      out.print(formatEvent(e));
    }
    shown += page.items.length;
    if (page.items.length < limit) break;
    cursor = page.items[page.items.length - 1].seq;
  }
  out.print(`(${shown} event${shown === 1 ? '' : 's'} after ${after})`);
  return EXIT.ok;
}

/** `godel events replay --team T` for a one-shot run: the events its record kept (see run-record.ts). */
export function replayRecord(out: Output, rec: { dir: string; events: GodelEvent[] }, after: number, filter: EventFilter, max?: number): number {
  const q = query(filter);
  const picked = rec.events.filter((e) => e.seq > after && (!q.agent || e.agent === q.agent) && (!q.type || e.type === q.type)).slice(0, max);
  for (const e of picked) {
    out.emit(e);
    out.print(formatEvent(e));
  }
  out.print(`(${picked.length} event${picked.length === 1 ? '' : 's'} after ${after}, from the record of a one-shot run in ${rec.dir})`);
  return EXIT.ok;
}

/**
 * `godel events tail`: follows the live stream (SSE) from `after` (default: the current end of the
 * log), reconnecting with Last-Event-ID when the connection drops, so nothing is missed. Stops after
 * `count` events, or on Ctrl-C (exit 0: following is what it was asked to do).
 */
export async function eventsTail(http: GodelHttp, out: Output, opts: { after?: number; count?: number; filter: EventFilter; signal: AbortSignal }): Promise<number> {
  let last = opts.after ?? (await http.get<{ seq: number }>('/api/v1/events/head')).seq;
  let seen = 0;
  let retryMs = 250;
  out.progress(`following events after ${last}${opts.count ? ` (until ${opts.count})` : ''}; Ctrl-C stops`);
  while (!opts.signal.aborted) {
    try {
      for await (const e of http.stream('/api/v1/events/stream', query(opts.filter), { lastEventId: last, signal: opts.signal })) {
        retryMs = 250;
        last = e.seq;
        out.emit(e);
        out.print(formatEvent(e));
        if (opts.count !== undefined && ++seen >= opts.count) return EXIT.ok;
      }
    } catch (err) {
      if (opts.signal.aborted) break;
      // a usage error (bad filter) will not get better by retrying
      const exit = (err as { exitCode?: number }).exitCode;
      if (seen === 0 || exit === EXIT.usage || exit === EXIT.unauthorized) throw err;
      out.warn(`stream interrupted (${(err as Error).message.split(':')[0]}); reconnecting after ${last}`);
    }
    if (opts.signal.aborted) break;
    await new Promise((r) => setTimeout(r, retryMs));
    retryMs = Math.min(retryMs * 2, 5000);
  }
  return EXIT.ok;
}
