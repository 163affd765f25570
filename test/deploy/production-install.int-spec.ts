/**
 * The Dockerfile's runtime stage without Docker: `npm pack` of the built tree, a production install
 * of that tarball (`npm install --omit=dev`) in an empty folder — what the image's runtime stage
 * runs — then the server from there with GODEL_HOST=0.0.0.0 (as in the image) against the test
 * Redis and PostgreSQL: it answers /health and /ready, on a non-loopback address too, and exits 0
 * on SIGTERM. Real: npm (with the machine's npm cache, --prefer-offline), Redis, PostgreSQL.
 * Measured here: pack ≈ 5 s, install ≈ 60 s (460 MB of node_modules), start ≈ 5 s.
 * Needs `npm run build` first (npm test does it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { inheritedEnv } from '@godel/config';
import { createTestEnv, type TestEnv } from '@godel/testing';

const ROOT = join(__dirname, '..', '..');

function nonLoopbackIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

describe('production install from npm pack (the image runtime stage, without Docker)', () => {
  let dir: string;
  let env: TestEnv;
  let server: ChildProcess | undefined;
  let app: string;
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'apps', 'godel', 'src', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    dir = await mkdtemp(join(tmpdir(), 'godel-prod-install-'));
    execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    app = join(dir, 'app');
    execFileSync('mkdir', [app]);
    const t0 = Date.now();
    execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tgz)], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    process.stdout.write(`production install: ${Date.now() - t0} ms\n`);
    env = await createTestEnv({ shardCount: 4 });
  }, 600_000);
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await env?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs the runtime dependencies only, with the pi coding agent on the PATH the image sets', () => {
    const nm = join(app, 'node_modules');
    expect(existsSync(join(nm, 'godel', 'dist', 'apps', 'godel', 'src', 'main.js'))).toBe(true);
    expect(existsSync(join(nm, '.bin', 'pi'))).toBe(true);
    for (const dev of ['jest', 'typescript', 'eslint', '@swc/core', 'playwright-core', 'kubernetes-models']) expect({ dev, installed: existsSync(join(nm, dev)) }).toEqual({ dev, installed: false });
    // Only what `files` lists travels: no sources, tests or deploy files.
    expect(existsSync(join(nm, 'godel', 'apps'))).toBe(false);
    expect(existsSync(join(nm, 'godel', 'test'))).toBe(false);
  });

  it('starts against Redis and PostgreSQL, listens on GODEL_HOST=0.0.0.0, answers /ready, exits 0 on SIGTERM', async () => {
    server = spawn(process.execPath, [join(app, 'node_modules', 'godel', 'dist', 'apps', 'godel', 'src', 'main.js')], {
      cwd: app,
      env: {
        ...inheritedEnv(),
        NODE_ENV: 'production',
        REDIS_URL: env.redisUrl,
        DATABASE_URL: env.databaseUrl,
        GODEL_KEY_PREFIX: env.keyPrefix,
        GODEL_DB_SCHEMA: env.schema,
        GODEL_SHARDS: '4',
        GODEL_HOST: '0.0.0.0',
        GODEL_PORT: '0',
        GODEL_HOME: join(dir, 'home'),
        GODEL_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    server.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const ready = await new Promise<{ url: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in 60 s: ${err.slice(-2000)}`)), 60_000);
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes('"godel.ready"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as { url: string });
        }
      });
      server!.once('exit', (code) => reject(new Error(`exited ${code}: ${err.slice(-2000)}`)));
    });
    const port = new URL(ready.url).port;
    const res = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', redis: 'ok', postgres: 'ok' });
    const ip = nonLoopbackIPv4();
    // GODEL_HOST=0.0.0.0: reachable on the machine's own address, as a probe or a Service would reach it.
    if (ip) expect((await fetch(`http://${ip}:${port}/health`)).status).toBe(200);
    // GODEL_LOG_LEVEL=warn: no info lines.
    expect(out.split('\n').filter((l) => l.includes('"level":"info"'))).toEqual([]);
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
