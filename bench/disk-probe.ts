/**
 * The disk's share of a tail: while a run is measured, a worker thread writes 4 KB and `fdatasync`s
 * it every 20 ms in a file of its own (like a WAL flush, ~50/s beside PostgreSQL's hundreds) and
 * reports the slowest flush and how many took over 10 ms. A durable commit waits for such a flush,
 * so a run whose probe saw a 60 ms flush had asks that could not be faster (docs/adr/0009).
 * The directory should be on PostgreSQL's disk: `GODEL_BENCH_DISK_PROBE_DIR` (default the OS temp
 * directory, on this box the same disk), `off` to leave the probe out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface DiskStats {
  /** The slowest `fdatasync` of a 4 KB write during the run, ms (null: probe off). */
  disk_sync_max_ms: number | null;
  /** Flushes slower than 10 ms, of `disk_syncs`. */
  disk_syncs_over_10ms: number | null;
  disk_syncs: number | null;
}

// Plain JS for an eval'd worker (no build step, no path to resolve): loop until told to stop.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const stop = new Int32Array(workerData.stop);
const fd = fs.openSync(workerData.file, 'w+');
const buf = Buffer.alloc(4096, 120);
fs.writeSync(fd, Buffer.alloc(1 << 20));
fs.fsyncSync(fd);
let n = 0, over = 0, max = 0, off = 0;
while (Atomics.load(stop, 0) === 0) {
  fs.writeSync(fd, buf, 0, buf.length, off);
  off = (off + 4096) % (1 << 20);
  const t = process.hrtime.bigint();
  fs.fdatasyncSync(fd);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  n++;
  if (ms > 10) over++;
  if (ms > max) max = ms;
  Atomics.wait(stop, 0, 0, 20);
}
fs.closeSync(fd);
parentPort.postMessage({ n, over, max });
`;

const OFF: DiskStats = { disk_sync_max_ms: null, disk_syncs_over_10ms: null, disk_syncs: null };

/** Starts the probe (unless `GODEL_BENCH_DISK_PROBE_DIR=off`); `stop()` returns what it saw. */
export function watchDisk(dirOption = process.env.GODEL_BENCH_DISK_PROBE_DIR): { stop: () => Promise<DiskStats> } {
  if (dirOption === 'off') return { stop: async () => OFF };
  const dir = mkdtempSync(join(dirOption || tmpdir(), 'godel-disk-probe-'));
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER, { eval: true, workerData: { file: join(dir, 'probe'), stop } });
  const done = new Promise<DiskStats>((resolve, reject) => {
    worker.once('message', (m: { n: number; over: number; max: number }) => resolve({ disk_sync_max_ms: Number(m.max.toFixed(2)), disk_syncs_over_10ms: m.over, disk_syncs: m.n }));
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      Atomics.store(new Int32Array(stop), 0, 1);
      Atomics.notify(new Int32Array(stop), 0);
      try {
        return await done;
      } finally {
        await worker.terminate();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
