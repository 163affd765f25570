/**
 * `godel up` with a Redis Cluster URL (REDIS_URL=redis+cluster://… or REDIS_CLUSTER_NODES). Real: the
 * local 3-master Redis Cluster (scripts/redis-cluster.sh, ports 7000–7005), a free port with nothing
 * on it. Mocked: nothing.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inheritedEnv, loadConfig } from '@godel/config';
import { upServerEnv } from '../commands/up';
import { checkRedisUrl, ensureRedis, LocalServiceError } from './index';
import { freeLoopbackPort } from './process-utils';

const CLUSTER_URL = 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002';

async function rejection(p: Promise<unknown>): Promise<LocalServiceError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(LocalServiceError);
  return err as LocalServiceError;
}

describe('godel up: a Redis Cluster URL', () => {
  beforeAll(async () => {
    await promisify(execFile)('bash', [join(__dirname, '../../../../scripts/redis-cluster.sh'), 'start'], { timeout: 120_000, env: { PATH: inheritedEnv().PATH ?? '/usr/bin:/bin' } });
  });

  it('a running cluster is accepted and used as given (not a private redis-server)', async () => {
    await expect(checkRedisUrl(CLUSTER_URL, 5000)).resolves.toBeUndefined();
    const s = await ensureRedis({ url: CLUSTER_URL, homeDir: '/nonexistent' });
    expect(s).toMatchObject({ url: CLUSTER_URL, owned: false });
  });

  it('REDIS_CLUSTER_NODES becomes the cluster URL, and the server gets REDIS_URL alone', async () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' });
    expect(config.redisUrl).toBe('redis+cluster://127.0.0.1:7000,127.0.0.1:7001');
    await expect(checkRedisUrl(config.redisUrl!, 5000)).resolves.toBeUndefined();
    const env = upServerEnv({ PATH: '/bin', REDIS_CLUSTER_NODES: '127.0.0.1:7000' }, config.redisUrl!, 'postgres://x/y', 7373);
    expect(env).toEqual({ PATH: '/bin', REDIS_URL: config.redisUrl, DATABASE_URL: 'postgres://x/y', GODEL_PORT: '7373' });
    // What the server reads back from that environment is the same cluster.
    expect(loadConfig(env).redisUrl).toBe(config.redisUrl);
  });

  it('a malformed cluster URL is a clear, non-retryable error', async () => {
    const err = await rejection(checkRedisUrl('redis+cluster://127.0.0.1:7000,nope', 2000));
    expect(err.code).toBe('services.redis_unavailable');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/host:port/);
  });

  it('a cluster nobody answers on is services.redis_unavailable (retryable), with the password redacted', async () => {
    const port = await freeLoopbackPort();
    const err = await rejection(checkRedisUrl(`redis+cluster://u:secret@127.0.0.1:${port}`, 2000));
    expect(err.code).toBe('services.redis_unavailable');
    expect(err.retryable).toBe(true);
    expect(JSON.stringify(err.toJSON())).not.toContain('secret');
  });
});
