/**
 * The SSE stream against slow readers and old tokens (issue 14, finding 7): a reader that does not
 * read is handed one page and then nothing until its socket drains (the log is not buffered in
 * memory), it still gets every event once it reads; a stream ends when its access token expires.
 * Real: the AppModule in process over HTTP (raw sockets and fetch), Redis, PostgreSQL. Mocked: nothing.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventLog } from '@godel/persistence';
import { createKey, createTestEnv, login, type TestEnv } from '@godel/testing';
import { AppModule } from '../../apps/godel/src/app.module';
import { EventStream } from '../../apps/godel/src/events/event-stream';

// Long enough for the back-pressure test on a busy machine, short enough to wait for in the expiry test.
const TTL_S = 15;

describe('SSE limits: back-pressure and token expiry', () => {
  let env: TestEnv;
  let app: INestApplication;
  let home: string;
  let url: string;
  let viewerKey: string;

  beforeAll(async () => {
    env = await createTestEnv({ shardCount: 2 });
    home = await mkdtemp(join(tmpdir(), 'godel-sse-'));
    const config = { ...env.config, homeDir: home, auth: { ...env.config.auth, accessTtlS: TTL_S } };
    app = await NestFactory.create({ module: class SseRoot {}, imports: [AppModule.forRoot(config)] }, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    viewerKey = (await createKey(url, (await login(url, env.adminKey)).accessToken, 'sse-viewer', 'viewer')).key;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('a reader that does not read gets one page, then nothing until it drains; then every event', async () => {
    const log = app.get(EventLog);
    const live = app.get(EventStream);
    const blob = 'x'.repeat(2000);
    for (let i = 0; i < 3000; i++) void log.append({ type: 'bulk.event', data: { i, blob } });
    await log.flush();
    const last = await log.lastSeq();
    const token = (await login(url, viewerKey)).accessToken;

    const sock = connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.pause();
    sock.write(`GET /api/v1/events/stream?after=0&type=bulk.event HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    let paused: { after: number } | undefined;
    for (let i = 0; i < 200 && !paused; i++) {
      await new Promise((r) => setTimeout(r, 50));
      paused = live.positions().find((p) => p.paused);
    }
    // the server stopped after a page it could not hand over: it holds neither the log nor the socket's backlog
    expect(paused).toBeDefined();
    expect(paused!.after).toBeLessThan(last);

    let seen = 0;
    let tail = '';
    const done = new Promise<void>((resolve) => {
      sock.on('data', (d: Buffer) => {
        const text = tail + d.toString('latin1');
        const ids = text.match(/\nid: \d+\n/g) ?? [];
        seen += ids.length;
        tail = text.slice(-32);
        if (text.includes(`id: ${last}\n`) || seen >= 3000) resolve();
      });
      sock.once('close', () => resolve());
    });
    sock.resume();
    await done;
    sock.destroy();
    expect(seen).toBeGreaterThanOrEqual(2999);
  }, 90_000);

  it('ends the stream when its access token expires', async () => {
    const issued = await login(url, viewerKey);
    const started = Date.now();
    const res = await fetch(`${url}/api/v1/events/stream?after=0&type=none`, { headers: { authorization: `Bearer ${issued.accessToken}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    while (!(await reader.read()).done) {
      if (Date.now() - started > 60_000) throw new Error('the stream outlived its token by far');
    }
    const endedAt = Date.now();
    expect(endedAt).toBeGreaterThanOrEqual(issued.expiresAt - 1000);
    expect(endedAt).toBeLessThan(issued.expiresAt + 10_000);
    // and the expired token does not open a new one
    const again = await fetch(`${url}/api/v1/events/stream`, { headers: { authorization: `Bearer ${issued.accessToken}` } });
    expect([again.status, ((await again.json()) as { code: string }).code]).toEqual([401, 'auth.expired']);
  }, 90_000);
});
