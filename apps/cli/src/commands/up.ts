import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inheritedEnv, type GodelConfig } from '@godel/config';
import { redactUrl } from '../local-services';
import { CliError, EXIT } from '../cli-error';
import type { Lifecycle } from '../lifecycle';
import type { Output } from '../output';
import { resolveServices } from '../services';

export interface UpOptions {
  /** HTTP port; default GODEL_PORT or 7373. */
  port?: number;
  /** Human mode: every server line as is (default: Nest start-up lines hidden, shard events summarised). */
  verbose?: boolean;
}

/** Nest start-up chatter, hidden in human mode unless --verbose. */
const QUIET_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** The compiled server next to the compiled CLI (dist/apps/godel/src/main.js). */
export function serverEntry(): string {
  const candidates = [
    join(__dirname, '..', '..', '..', 'godel', 'src', 'main.js'), // dist/apps/cli/src/commands → dist/apps/godel/src
    join(__dirname, '..', '..', '..', '..', 'dist', 'apps', 'godel', 'src', 'main.js'), // apps/cli/src/commands (ts) → dist
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new CliError('cli.not_built', 'the compiled Godel server (dist/apps/godel/src/main.js) is missing: run `npm run build` first', EXIT.usage);
  return found;
}

function portFree(port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(undefined)));
  });
}

/**
 * The server's environment: the CLI's, with the resolved services. REDIS_CLUSTER_NODES is dropped: the
 * cluster it names is already in REDIS_URL (`redis+cluster://…`), and the server refuses both at once.
 */
export function upServerEnv(base: Record<string, string>, redisUrl: string, databaseUrl: string, port: number): Record<string, string> {
  const { REDIS_CLUSTER_NODES: _nodes, ...rest } = base;
  return { ...rest, REDIS_URL: redisUrl, DATABASE_URL: databaseUrl, GODEL_PORT: String(port) };
}

/**
 * `godel up`: one Godel server in the foreground on local services. Resolves Redis and PostgreSQL
 * (REDIS_URL / DATABASE_URL, else a private redis-server and the embedded PostgreSQL), runs the compiled
 * server with them, forwards its output, and on Ctrl-C stops the server then the services it started.
 * Resolves with the exit code once the server exited by itself.
 */
export async function runUp(o: UpOptions, config: GodelConfig, out: Output, life: Lifecycle): Promise<number> {
  const port = o.port ?? config.httpPort;
  const entry = serverEntry();
  if (port !== 0) {
    const err = await portFree(port);
    if (err) {
      const why = err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be opened (${err.code ?? err.message})`;
      throw new CliError('up.port_unavailable', `port ${port} on 127.0.0.1 ${why}: pass --port <n> (or GODEL_PORT), or stop the process listening there`, EXIT.usage, { port });
    }
  }
  const services = await resolveServices(config, out, life);
  out.emit({ event: 'up.services', redis: redactUrl(services.redis.url), redisOwned: services.redis.owned, postgres: redactUrl(services.postgres.url), postgresOwned: services.postgres.owned });
  out.progress(`Starting the Godel server (port ${port}, key prefix ${config.keyPrefix}, schema ${config.dbSchema})…`);

  const child = spawn(process.execPath, [entry], {
    env: upServerEnv(inheritedEnv(), services.redis.url, services.postgres.url, port),
    // Own process group: Ctrl-C reaches only the CLI, which stops the server first and the services after it.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  let running = true;
  void exited.then(() => (running = false));
  life.trackPids(() => (running && child.pid ? [child.pid] : []));
  life.defer('stop the Godel server', async () => {
    if (!running) return;
    out.progress(`Stopping the Godel server (pid ${child.pid}, SIGTERM)…`);
    child.kill('SIGTERM');
    const guard = setTimeout(() => {
      out.warn(`the Godel server (pid ${child.pid}) did not stop within 15 s of SIGTERM: sending SIGKILL`);
      child.kill('SIGKILL');
    }, 15_000);
    try {
      await exited;
    } finally {
      clearTimeout(guard);
    }
  }, 20_000);

  let sawAddrInUse = false;
  const shardEvents = new ShardEventSummary((line) => out.print(line));
  forwardLines(child.stdout, (line) => {
    const parsed = parse(line);
    if (out.json) {
      out.emit(parsed ?? { event: 'server.output', line });
    } else if (parsed?.event === 'godel.ready') {
      shardEvents.flush();
      out.progress(`Godel is up at ${String(parsed.url)} (pid ${String(parsed.pid)}); dashboard at ${String(parsed.url)}/dashboard. Ctrl-C stops it and the local services.`);
    } else if (!parsed || o.verbose) {
      out.print(parsed ? humanLine(parsed) : line);
    } else if (!(parsed.level === 'log' && QUIET_CONTEXTS.has(String(parsed.context))) && !shardEvents.add(parsed)) {
      out.print(humanLine(parsed));
    }
  });
  void exited.then(() => shardEvents.flush());
  forwardLines(child.stderr, (line) => {
    if (line.includes('EADDRINUSE')) sawAddrInUse = true;
    out.warn(`server: ${line}`);
  });

  const { code, signal } = await exited;
  if (life.interrupted) return 0;
  if (code === 0) return EXIT.ok;
  if (sawAddrInUse) throw new CliError('up.port_unavailable', `port ${port} was taken while the server started: pass --port <n>, or stop the process listening there`, EXIT.usage, { port });
  if (code === 2) throw new CliError('up.config', 'the Godel server refused its configuration (message above): fix the environment variable it names', EXIT.usage);
  throw new CliError('up.server_exited', `the Godel server exited (${code ?? signal}); its output is above`, EXIT.checkFailed, { code, signal });
}

function forwardLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) onLine(line);
    }
  });
  stream.on('end', () => {
    if (buf.trim()) onLine(buf);
    buf = '';
  });
}

function parse(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A Nest JSON log line as `level [context] message`. */
function humanLine(v: Record<string, unknown>): string {
  if (typeof v.message !== 'string') return JSON.stringify(v);
  const level = typeof v.level === 'string' ? v.level : 'log';
  const ctx = typeof v.context === 'string' ? ` [${v.context}]` : '';
  return `${level}${ctx} ${v.message}`;
}

/**
 * Human mode: the runtime logs one line per shard acquired, released or refused by its fence (64 at
 * start and at stop, and 64 fence errors on a reused home);
 * consecutive ones are printed as one line, e.g. `runtime: i-1234 acquired 64 shards (epochs 1)`.
 */
export class ShardEventSummary {
  private pending?: { key: string; instance: string; event: string; shards: number[]; epochs: Set<number>; reasons: Set<string> };
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly print: (line: string) => void) {}

  /** Takes a Nest log line; true when it was a shard event (summarised later). */
  add(line: Record<string, unknown>): boolean {
    if (line.context !== 'runtime' || typeof line.message !== 'string' || !line.message.startsWith('{')) return false;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line.message) as Record<string, unknown>;
    } catch {
      return false;
    }
    if (ev.event !== 'shard.acquired' && ev.event !== 'shard.released' && ev.event !== 'shard.fence_failed') return false;
    const key = `${String(ev.instance)}/${String(ev.event)}`;
    if (this.pending && this.pending.key !== key) this.flush();
    this.pending ??= { key, instance: String(ev.instance), event: String(ev.event), shards: [], epochs: new Set(), reasons: new Set() };
    this.pending.shards.push(Number(ev.shard));
    this.pending.epochs.add(Number(ev.epoch));
    if (typeof ev.reason === 'string') this.pending.reasons.add(ev.reason);
    if (typeof ev.error === 'string') this.pending.reasons.add(ev.error.split(':')[0]);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), 300);
    return true;
  }

  flush(): void {
    clearTimeout(this.timer);
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    if (p.event === 'shard.fence_failed') {
      // A reused home: PostgreSQL remembers newer shard epochs than a fresh private Redis. The runtime
      // raises its epochs above the fence and takes the shards on the next round; one line says so.
      this.print(
        `runtime: ${p.instance}: ${p.shards.length} shard fence${p.shards.length === 1 ? '' : 's'} held newer epochs than Redis (${[...p.reasons].join(', ')}; a reused home), epochs raised, the shards are taken on the next lease round`,
      );
      return;
    }
    const verb = p.event === 'shard.acquired' ? 'acquired' : 'released';
    const reasons = p.reasons.size ? `, ${[...p.reasons].join(', ')}` : '';
    this.print(`runtime: ${p.instance} ${verb} ${p.shards.length} shard${p.shards.length === 1 ? '' : 's'} (epoch ${[...p.epochs].sort((a, b) => a - b).join(', ')}${reasons})`);
  }
}
