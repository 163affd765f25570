/** PostgreSQL-cut test kit (issue 15): a test env, and a data source reached through a loopback TCP proxy a test cuts or takes down. */
import type { DataSource } from 'typeorm';
import { openDatabase } from '@godel/persistence';
import { createTestEnv, TcpProxy, type TestEnv } from '@godel/testing';

export interface PgCutKit {
  /** The test env (set in beforeAll). */
  readonly env: TestEnv;
  /** Starts the proxy in front of the env's PostgreSQL and opens a data source (pool of 2) through it. */
  connect(): Promise<{ proxy: TcpProxy; ds: DataSource }>;
}

/** Registers the suite's beforeAll/afterAll: a fresh test env; afterwards every data source and proxy `connect` opened, and the env, are closed. */
export function usePgCutKit(): PgCutKit {
  let env: TestEnv | undefined;
  const opened: Array<{ proxy: TcpProxy; ds?: DataSource }> = [];
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    for (const { proxy, ds } of opened) {
      if (ds?.isInitialized) await ds.destroy().catch(() => undefined);
      await proxy.down();
    }
    await env?.cleanup();
  });
  const theEnv = (): TestEnv => {
    if (!env) throw new Error('the test env is made in beforeAll');
    return env;
  };
  return {
    get env() {
      return theEnv();
    },
    async connect() {
      const url = new URL(theEnv().databaseUrl);
      const proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
      const entry: { proxy: TcpProxy; ds?: DataSource } = { proxy };
      opened.push(entry);
      await proxy.up();
      url.host = `127.0.0.1:${proxy.port}`;
      entry.ds = await openDatabase({ url: url.toString(), schema: theEnv().schema, poolSize: 2 });
      return { proxy, ds: entry.ds };
    },
  };
}

/** Runs `f` until it succeeds, again every 100 ms while it fails with an error `transient` accepts (51 retries at most): a pool's clients reconnect after a cut. */
export async function retryWhile<T>(transient: (err: unknown) => boolean, f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (!transient(err) || i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
