/** ensureRedis against real redis-server processes: private servers, given URLs, missing binaries, orphans. */
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureRedis } from './index';
import { freeLoopbackPort, isPidAlive, stopPid } from './process-utils';
import { cleanUpAfterEach, expectGone, lines, log, pids, rejection, tempHome, track } from './local-services-test-kit';

cleanUpAfterEach();

describe('ensureRedis', () => {
  it('starts a private redis-server that answers PING, and stop() ends exactly that process', async () => {
    const home = await tempHome();
    const t0 = Date.now();
    const svc = track(await ensureRedis({ homeDir: home, log }));
    const ms = Date.now() - t0;
    expect(svc.owned).toBe(true);
    // a password in the URL, and a client without it is refused
    expect(svc.url).toMatch(/^redis:\/\/:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
    expect(svc.url).not.toContain(':6379');
    const anonymous = await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port: Number(svc.url.split(':').pop()) });
      sock.once('error', reject);
      sock.once('connect', () => sock.write('PING\r\n'));
      sock.once('data', (d: Buffer) => {
        sock.destroy();
        resolve(d.toString());
      });
    });
    expect(anonymous).toMatch(/^-NOAUTH/);
    const pid = svc.pid as number;
    expect(await isPidAlive(pid)).toBe(true);

    const client = new Redis(svc.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    expect(String(await client.info('server'))).toContain(`process_id:${pid}`);
    client.disconnect();

    await svc.stop();
    await expectGone(pid);
    await svc.stop(); // idempotent
    expect(await readdir(join(home, 'redis'))).toEqual([]);
    console.log(`private redis-server ready in ${ms} ms`);
  }, 20_000);

  it('checks a given URL and does not own it', async () => {
    const home = await tempHome();
    const own = track(await ensureRedis({ homeDir: home }));
    const given = await ensureRedis({ url: own.url, homeDir: home, log });
    expect(given).toMatchObject({ url: own.url, owned: false });
    await given.stop();
    expect(await isPidAlive(own.pid as number)).toBe(true);
  }, 20_000);

  it('rejects a REDIS_URL nobody listens on, quickly, with services.redis_unavailable', async () => {
    const port = await freeLoopbackPort(); // free a moment ago: nothing listens there
    const t0 = Date.now();
    const err = await rejection(ensureRedis({ url: `redis://:secret@127.0.0.1:${port}`, homeDir: await tempHome() }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err.code).toBe('services.redis_unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).not.toContain('secret');
    expect(JSON.stringify(err)).not.toContain('secret');
    expect(err.toJSON()).toMatchObject({ code: 'services.redis_unavailable', retryable: true });
  }, 10_000);

  it('without a redis-server binary fails with services.redis_missing naming what to install', async () => {
    const home = await tempHome();
    const t0 = Date.now();
    const err = await rejection(ensureRedis({ homeDir: home, redisServerBin: join(home, 'no-such-dir', 'redis-server') }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err.code).toBe('services.redis_missing');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).toContain('apt-get install redis-server');
    expect(err.message).toContain('brew install redis');
    expect(err.toJSON()).toEqual({ code: 'services.redis_missing', message: err.message, retryable: false, details: expect.any(Object) });
    expect(await readdir(join(home, 'redis'))).toEqual([]);
  }, 10_000);

  it('stops a private redis-server orphaned by a killed Godel process', async () => {
    const home = await tempHome();
    const port = await freeLoopbackPort();
    const dir = join(home, 'redis', String(port));
    await mkdir(dir, { recursive: true });
    // A stand-in for a Godel process that started redis-server and was then SIGKILLed.
    const owner = spawn(
      process.execPath,
      ['-e', `const c=require('child_process').spawn('redis-server',['--port','${port}','--bind','127.0.0.1','--save','','--appendonly','no','--dir',process.argv[1]],{detached:true,stdio:'ignore'});console.log(c.pid);setInterval(()=>{},1000)`, dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    pids.push(owner.pid as number);
    const orphanPid = Number(await new Promise<string>((res) => owner.stdout.once('data', (d: Buffer) => res(d.toString()))));
    pids.push(orphanPid);
    await writeFile(join(dir, 'owner.json'), JSON.stringify({ ownerPid: owner.pid, pid: orphanPid, port }));
    await stopPid(owner.pid as number, ['SIGKILL'], 2000, owner);
    expect(await isPidAlive(orphanPid)).toBe(true);

    const svc = track(await ensureRedis({ homeDir: home, log }));
    expect(await isPidAlive(orphanPid)).toBe(false);
    expect(lines.join('\n')).toContain(`orphaned private redis-server pid ${orphanPid}`);
    expect(await readdir(join(home, 'redis'))).toEqual([svc.url.split(':').pop()]);
  }, 20_000);
});
