import { EXIT } from '../cli-error';
import type { GodelHttp } from '../http';
import { table, type Output } from '../output';

interface InstancesView {
  shardCount: number;
  unowned: number[];
  items: Array<{ instance: string; live: boolean; self: boolean; shards: number[] }>;
}

/** 0,1,2,3,7,9,10 → "0-3,7,9-10". */
export function ranges(ns: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ns.length; i++) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j] + 1) j++;
    out.push(i === j ? String(ns[i]) : `${ns[i]}-${ns[j]}`);
    i = j;
  }
  return out.join(',');
}

/** `godel instances`: live members and the shards each holds. */
export async function instances(http: GodelHttp, out: Output): Promise<number> {
  const v = await http.get<InstancesView>('/api/v1/instances');
  out.emit(v);
  const rows = v.items.map((i) => [i.instance + (i.self ? ' *' : ''), i.live ? 'live' : 'expired', i.shards.length, ranges(i.shards) || '-']);
  out.print(`${table(['INSTANCE', 'STATE', 'SHARDS', 'OWNS'], rows)}\n${v.shardCount} shards${v.unowned.length ? `, unowned: ${ranges(v.unowned)}` : ', all owned'} (* = the instance that answered)`);
  return EXIT.ok;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples (comments skipped). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** `godel metrics`: the server's runtime metrics (Godel's own by default, --all for process metrics too). */
export async function metrics(http: GodelHttp, out: Output, all: boolean): Promise<number> {
  const samples = parsePrometheus(await http.text('/metrics'));
  const shown = all ? samples : samples.filter((s) => /^godel_(owned_shards|activations|in_flight|pending_asks|runtime_events|mailbox|agents?|events)/.test(s.name));
  out.emit({ url: http.baseUrl, samples: shown });
  const label = (s: Sample) => (Object.keys(s.labels).length ? `{${Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',')}}` : '');
  out.print(shown.length ? table(['METRIC', 'VALUE'], shown.map((s) => [s.name + label(s), s.value])) : 'no Godel metrics yet (try --all)');
  return EXIT.ok;
}
