import type { Lease } from '@godel/actors';
import type { LocalCluster as GodelCluster } from '../cluster/local-cluster';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { BuiltRuntime } from '../../../godel/src';
import { CliError, EXIT } from '../cli-error';
import type { Output } from '../output';
import type { DemoMember, DemoTakeover } from './demo-types';

/** The failover demo's helpers: reading the cluster, polling with bounds, stopping it, removing its data. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function acquiredEvent(cluster: GodelCluster, tk: DemoTakeover): Record<string, unknown> | undefined {
  const m = cluster.byInstance(tk.instance);
  return m?.lines.find((l) => l.event === 'shard.acquired' && Number(l.shard) === tk.shard && Number(l.epoch) === tk.epoch);
}

export async function askWithRetry<T>(rt: BuiltRuntime, actor: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rt.system.ask<T>(actor, 'get', {}, 5000);
    } catch (err) {
      if (attempt >= 3) throw new CliError('demo.read_failed', `could not read ${actor}: ${(err as Error).message}`, EXIT.checkFailed, {}, { cause: err });
    }
  }
}

export function describeOwners(hs: Array<Lease | undefined>, cluster: GodelCluster): string {
  const by = new Map<string, number[]>();
  hs.forEach((h, s) => {
    const name = h ? (cluster.byInstance(h.owner)?.name ?? `${h.owner} (dead)`) : 'nobody';
    by.set(name, [...(by.get(name) ?? []), s]);
  });
  return [...by.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([name, shards]) => `${name} ${shards.length} [${shards.join(' ')}]`)
    .join(', ');
}

/** Polls `check` until it holds or `timeoutMs` passed; a check that hangs (Redis gone) counts as false. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await bounded(check(), Math.max(1000, deadline - Date.now()), 'check').catch(() => false);
    if (ok) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** `p`, or a rejection naming `what` after `ms`. */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** SIGTERM every member (graceful: leases released), SIGKILL after 10 s. */
export async function stopCluster(cluster: GodelCluster, members: DemoMember[], out: Output): Promise<void> {
  const names = [...cluster.members.keys()];
  if (names.length === 0) return;
  out.progress(`Stopping ${names.length} Godel server process${names.length === 1 ? '' : 'es'} (SIGTERM)…`);
  await Promise.all(
    names.map(async (name) => {
      const m = cluster.members.get(name);
      if (!m) return;
      const guard = setTimeout(() => {
        out.warn(`${name} (pid ${m.pid}) did not stop within 10 s of SIGTERM: sending SIGKILL`);
        m.process.kill('SIGKILL');
      }, 10_000);
      try {
        await cluster.stop(name);
      } finally {
        clearTimeout(guard);
      }
      const rec = members.find((r) => r.pid === m.pid);
      if (rec && rec.fate === 'running') rec.fate = 'stopped';
    }),
  );
}

/** Deletes the demo's Redis keys (SCAN, never KEYS) and drops its schema. */
export async function removeDemoData(redisUrl: string, databaseUrl: string, keyPrefix: string, schema: string, out: Output): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true, connectTimeout: 3000 });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  const pg = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await pg.connect();
  try {
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await pg.end();
  }
  out.progress(`Removed ${deleted} Redis keys under ${keyPrefix}: and schema ${schema}`);
}
