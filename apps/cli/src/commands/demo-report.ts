import { table } from '../output';
import type { DemoReport } from './demo';

function epochs(list: number[]): string {
  return list.length ? list.join(' → ') : '-';
}

/** The human summary of a demo run. */
export function renderDemoReport(r: DemoReport): string {
  const m = r.messages;
  const replaced = r.kills.filter((k) => k.replacement).length;
  const takeovers = r.kills.length
    ? r.kills
        .map((k) => `#${k.n} ${k.member} (${k.shards.length} shards): ${k.takeoverMs} ms${k.servingMs !== undefined ? `, serving after ${k.servingMs} ms` : ''}`)
        .join('; ')
    : 'none';
  const summary: Array<[string, string | number]> = [
    ['instances', `${r.instances} started${r.kills.length ? `, ${r.kills.length} SIGKILLed` : ''}${replaced ? `, ${replaced} replacement${replaced === 1 ? '' : 's'}` : ''}`],
    ['shards', `${r.shards} (lease TTL ${r.leaseTtlMs} ms)`],
    ['counters', r.actors],
    ['messages sent', m.sent],
    ['messages accepted', m.accepted],
    ['messages rejected', m.rejected ? `${m.rejected} (${Object.entries(m.rejections).map(([k, v]) => `${k}: ${v}`).join(', ')})` : 0],
    ['messages handled', m.handled],
    ['lost', m.lost],
    ['duplicated', m.duplicated],
    ['dead-lettered', r.deadLettered],
    ['kills', r.kills.length],
    ['takeover times', takeovers],
    ['send rate', `${m.ratePerSecond}/s over ${(m.sendMs / 1000).toFixed(1)} s`],
    ['run time', `${(r.durationMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...summary.map(([k]) => k.length));
  const lines = [
    '',
    'Godel demo — summary',
    ...summary.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
    'Counters (epochs = the lease epochs under which each counter handled increments):',
    table(
      ['actor', 'shard', 'accepted', 'handled', 'epochs'],
      r.counters.map((c) => [c.actor, c.shard, c.accepted, c.handled, epochs(c.epochs)]),
    )
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
    `${r.ok ? 'PASS' : 'FAIL'}: ${r.verdict}`,
  ];
  return lines.join('\n');
}
