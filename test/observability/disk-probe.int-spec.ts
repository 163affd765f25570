/**
 * The bench's disk probe (bench/disk-probe.ts): a worker thread flushes small writes while a run is
 * measured. Real: the file system of the OS temp directory, a worker thread. Mocked: nothing.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchDisk } from '../../bench/disk-probe';

describe('watchDisk (bench probe)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'disk-probe-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the flushes of the window it watched, reports the slowest, and leaves no file behind', async () => {
    const probe = watchDisk(dir);
    await new Promise((r) => setTimeout(r, 300));
    const s = await probe.stop();
    // one flush per ~20 ms: at least a few in 300 ms (a loaded box may delay some), never hundreds
    expect(s.disk_syncs).toBeGreaterThanOrEqual(3);
    expect(s.disk_syncs).toBeLessThan(100);
    expect(s.disk_sync_max_ms).toBeGreaterThan(0);
    expect(s.disk_syncs_over_10ms).toBeLessThanOrEqual(s.disk_syncs!);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('off: no thread, no file, nulls in the report', async () => {
    const probe = watchDisk('off');
    expect(await probe.stop()).toEqual({ disk_sync_max_ms: null, disk_syncs_over_10ms: null, disk_syncs: null });
    expect(existsSync(dir) && readdirSync(dir)).toEqual([]);
  });

  it('a directory that does not exist fails at once, before any run is measured', () => {
    expect(() => watchDisk(join(dir, 'missing'))).toThrow(/ENOENT/);
  });
});
