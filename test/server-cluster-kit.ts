/** Server-cluster test kit: compiled Godel servers (GodelCluster) over a fresh test env and a temporary root folder, all torn down after each test. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GodelCluster, createTestEnv, type TestEnv } from '@godel/testing';

export interface ServerClusterKit {
  /** A fresh test env with `shardCount` shards and a temporary root folder named `prefix…`. */
  open(shardCount: number, prefix: string): Promise<{ env: TestEnv; root: string }>;
  /** The servers' cluster over the opened env, its members started with `env` (not started here). */
  cluster(env: Record<string, string>): GodelCluster;
}

/** Registers an afterEach that stops the cluster, cleans up the env and removes the root (what the test made of them). */
export function useServerCluster(): ServerClusterKit {
  let env: TestEnv | undefined;
  let root: string | undefined;
  let cluster: GodelCluster | undefined;
  afterEach(async () => {
    await cluster?.stopAll();
    await env?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
    [cluster, env, root] = [undefined, undefined, undefined];
  });
  return {
    async open(shardCount, prefix) {
      env = await createTestEnv({ shardCount });
      root = await mkdtemp(join(tmpdir(), prefix));
      return { env, root };
    },
    cluster(vars) {
      if (!env) throw new Error('open() the env first');
      cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: vars });
      return cluster;
    },
  };
}
