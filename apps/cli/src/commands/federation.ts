import type { Command } from 'commander';
import type { FederationView, MemberView } from '@godel/actors';
import { EXIT } from '../cli-error';
import type { GodelHttp } from '../http';
import { table, type Output } from '../output';
import { ranges } from './cluster';

type Action = (http: GodelHttp, out: Output, ...args: any[]) => Promise<number>;
/** program.ts's wrappers: server flags (--url, --json) and the action runner that reports failures. */
export interface ServerWrap {
  options(cmd: Command): Command;
  action(name: string, fn: Action): (...args: any[]) => Promise<void>;
}

function state(m: MemberView): string {
  if (!m.live) return 'gone';
  if (m.draining) return `draining (${m.draining.reason})`;
  if (!m.healthy) return 'unhealthy';
  return m.acceptsNewWork ? 'ready' : 'full';
}

/** `godel federation status`: members, capacity, load, health, draining, shards, teams. */
export async function federationStatus(http: GodelHttp, out: Output): Promise<number> {
  const v = await http.get<FederationView>('/api/v1/federation');
  out.emit(v);
  const rows = v.members.map((m) => [m.id + (m.self ? ' *' : ''), state(m), `${m.running}/${m.maxAgents ?? '-'}${m.queued ? ` +${m.queued}q` : ''}`, m.lagP99Ms ?? '-', m.shards.length, ranges(m.shards) || '-', m.teams.join(',') || '-']);
  out.print(`${table(['INSTANCE', 'STATE', 'AGENTS', 'LAG P99 MS', 'SHARDS', 'OWNS', 'TEAMS'], rows)}\n${v.full ? 'FULL: no instance takes a new team (new intents get 503)' : 'new teams go to the instances marked ready'}${v.unowned.length ? `; unowned shards: ${ranges(v.unowned)}` : ''} (* = the instance that answered)`);
  return EXIT.ok;
}

/** `godel federation drain <id>`: marks it draining, then (with --wait) follows its shards and teams until it is empty. */
export async function federationDrain(http: GodelHttp, out: Output, id: string, flags: { wait?: boolean; timeout?: string }): Promise<number> {
  const r = await http.request<Record<string, unknown>>('POST', `/api/v1/federation/instances/${encodeURIComponent(id)}/drain`);
  out.progress(`${id}: draining${r.changed ? '' : ' (already)'}; its shards move as they go idle`);
  if (!flags.wait) {
    out.emit(r);
    out.print(`${id} drains (follow with \`godel federation status\`)`);
    return EXIT.ok;
  }
  const started = Date.now();
  const end = started + Number(flags.timeout ?? 300) * 1000;
  let last = '';
  for (;;) {
    const v = await http.get<FederationView>('/api/v1/federation');
    const m = v.members.find((x) => x.id === id);
    const now = m ? `${m.shards.length} shards, ${m.teams.length} teams left` : 'gone';
    if (now !== last) out.progress(`${id}: ${now}`);
    last = now;
    if (!m || m.shards.length === 0) {
      const done = { instance: id, drained: true, seconds: Math.round((Date.now() - started) / 100) / 10 };
      out.emit(done);
      out.print(`${id} is empty after ${done.seconds} s: it can stop now (nothing to redeliver)`);
      return EXIT.ok;
    }
    if (Date.now() > end) {
      out.emit({ instance: id, drained: false, left: { shards: m.shards, teams: m.teams } });
      out.warn(`${id} still holds ${now} (busy shards move when idle); try again later`);
      return EXIT.unavailable;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function federationUndrain(http: GodelHttp, out: Output, id: string): Promise<number> {
  const r = await http.request<Record<string, unknown>>('POST', `/api/v1/federation/instances/${encodeURIComponent(id)}/undrain`);
  out.emit(r);
  out.print(`${id} takes work again${r.changed ? '' : ' (it was not draining)'}`);
  return EXIT.ok;
}

export async function federationRebalance(http: GodelHttp, out: Output): Promise<number> {
  const r = await http.request<{ moves: Array<{ shard: number; from: string | null; to: string; teams: string[] }> }>('POST', '/api/v1/federation/rebalance');
  out.emit(r);
  out.print(r.moves.length ? `${table(['SHARD', 'FROM', 'TO', 'TEAMS'], r.moves.map((m) => [m.shard, m.from ?? '-', m.to, m.teams.join(',') || '-']))}\nidle shards move now, busy ones when idle` : 'balanced: nothing to move');
  return EXIT.ok;
}

/** Registers `godel federation status|drain|undrain|rebalance`. */
export function registerFederation(program: Command, w: ServerWrap): void {
  const fed = program.command('federation').description('instances of the federation: capacity, load, health, drain, rebalance');
  w.options(fed.command('status').description('members with capacity, load, health, draining, shards and teams')).action(w.action('federation status', (http, out) => federationStatus(http, out)));
  w.options(fed.command('drain').argument('<instance>', 'instance id (see `godel federation status`)').description('drain an instance (admin): no new work, its teams move as they go idle').option('--wait', 'follow until the instance is empty').option('--timeout <s>', 'with --wait: give up after s seconds', '300')).action(
    w.action('federation drain', (http, out, id: string, flags: { wait?: boolean; timeout?: string }) => federationDrain(http, out, id, flags)),
  );
  w.options(fed.command('undrain').argument('<instance>', 'instance id').description('undrain an instance (admin): it takes work again')).action(w.action('federation undrain', (http, out, id: string) => federationUndrain(http, out, id)));
  w.options(fed.command('rebalance').description('move shards to where placement wants them (admin); idle ones now, busy ones when idle')).action(w.action('federation rebalance', (http, out) => federationRebalance(http, out)));
}
