import { ShardEventSummary } from './up';

/** `godel up` in human mode: the runtime's per-shard log lines become one line per burst. */
describe('ShardEventSummary', () => {
  const line = (event: string, shard: number, extra: Record<string, unknown> = {}) => ({
    level: 'warn',
    context: 'runtime',
    message: JSON.stringify({ event, instance: 'i-1', shard, epoch: 3, ...extra }),
  });

  it('a reused home: 64 fence errors print as one summarised line, then the acquisitions as another', () => {
    const printed: string[] = [];
    const summary = new ShardEventSummary((l) => printed.push(l));
    for (let s = 0; s < 64; s++) expect(summary.add(line('shard.fence_failed', s, { error: `StaleEpochError: epoch 3 is older than ${s + 7}` }))).toBe(true);
    for (let s = 0; s < 64; s++) summary.add(line('shard.acquired', s));
    summary.flush();
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/64 shard fences held newer epochs than Redis \(StaleEpochError; a reused home\)/);
    expect(printed[1]).toMatch(/acquired 64 shards/);
  });

  it('lines that are not shard events are left to the caller', () => {
    const summary = new ShardEventSummary(() => undefined);
    expect(summary.add({ context: 'runtime', message: '{"event":"message.dead_lettered"}' })).toBe(false);
    expect(summary.add({ context: 'http', message: 'listening' })).toBe(false);
  });
});
