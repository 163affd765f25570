import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inheritedEnv } from '@godel/config';

export interface ClusterMember {
  name: string;
  instanceId: string;
  process: ChildProcess;
  pid: number;
  url?: string;
  /** Structured lines the member printed (JSON logs and events). */
  lines: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** `[ioredis] Unhandled error event` lines on stderr (a connection without an error listener). */
  unhandledRedisErrors: number;
  /** The last 4,000 characters the member wrote to stderr (why it died, when it did). */
  stderrTail: string;
  /** Set when kill/stop ended it: any other exit is the member's own (a crash). */
  ended: boolean;
}

export interface LocalClusterOptions {
  redisUrl: string;
  databaseUrl: string;
  keyPrefix: string;
  schema: string;
  /** Extra environment for every member (GODEL_SHARDS, GODEL_LEASE_TTL_MS, ...). */
  env?: Record<string, string>;
  /** Compiled server entry point; `npm run build` makes it. */
  entry?: string;
  /** Extra node flags for members (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Bootstrap admin key and access-token secret shared by every member (random when omitted). */
  adminKey?: string;
  jwtSecret?: string;
}

/**
 * N real Godel server processes on this machine sharing one Redis and one PostgreSQL schema: what
 * `godel demo` launches, and (through @godel/testing's GodelCluster) the multi-instance fixture of
 * failover tests, the chaos harness and benchmarks. Members are started, killed (SIGKILL) and
 * stopped (SIGTERM, graceful) by PID; each member's structured stdout lines are kept.
 */
export class LocalCluster {
  readonly members = new Map<string, ClusterMember>();
  private generation = 0;
  /** The members' bootstrap admin key (GODEL_ADMIN_KEY): log in with it (see `adminToken`). */
  readonly adminKey: string;
  readonly jwtSecret: string;

  constructor(protected readonly opts: LocalClusterOptions) {
    this.adminKey = opts.adminKey ?? `gdk_${randomBytes(32).toString('base64url')}`;
    this.jwtSecret = opts.jwtSecret ?? randomBytes(32).toString('base64url');
  }

  get entry(): string {
    const candidates = [
      this.opts.entry,
      join(__dirname, '..', '..', '..', 'godel', 'src', 'main.js'), // dist/apps/cli/src/cluster → dist/apps/godel/src
      join(__dirname, '..', '..', '..', '..', 'dist', 'apps', 'godel', 'src', 'main.js'), // apps/cli/src/cluster (ts) → dist
    ];
    const found = candidates.find((c) => c && existsSync(c));
    if (!found) throw new Error('compiled server not found: run `npm run build` first');
    return found;
  }

  /** Starts a member and resolves once it is listening with its shards acquired. */
  start(name = `m${this.members.size}`, timeoutMs = 30000): Promise<ClusterMember> {
    return this.startWith(name, {}, timeoutMs);
  }

  /** Starts a member with extra environment (e.g. its own REDIS_URL through a fault proxy). */
  async startWith(name: string, extraEnv: Record<string, string>, timeoutMs = 30000): Promise<ClusterMember> {
    const instanceId = `${name}-g${++this.generation}`;
    const child = spawn(process.execPath, [...(this.opts.nodeArgs ?? []), this.entry], {
      env: {
        ...inheritedEnv(),
        REDIS_URL: this.opts.redisUrl,
        DATABASE_URL: this.opts.databaseUrl,
        GODEL_KEY_PREFIX: this.opts.keyPrefix,
        GODEL_DB_SCHEMA: this.opts.schema,
        GODEL_INSTANCE_ID: instanceId,
        GODEL_PORT: '0',
        GODEL_ADMIN_KEY: this.adminKey,
        GODEL_JWT_SECRET: this.jwtSecret,
        ...this.opts.env,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const member: ClusterMember = {
      name,
      instanceId,
      process: child,
      pid: child.pid!,
      lines: [],
      unhandledRedisErrors: 0,
      stderrTail: '',
      ended: false,
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      member.unhandledRedisErrors += text.split('Unhandled error event').length - 1;
      stderr = (stderr + text).slice(-4000);
      member.stderrTail = stderr;
    });
    let buf = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${instanceId} not ready in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const parsed = parseLine(line);
          if (!parsed) continue;
          member.lines.push(parsed);
          if (parsed.event === 'godel.ready') {
            member.url = String(parsed.url);
            clearTimeout(timer);
            resolve();
          }
        }
      });
      void member.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${instanceId} exited (${code ?? signal}) before ready: ${stderr}`));
      });
    });
    this.members.set(name, member);
    await ready;
    return member;
  }

  byInstance(instanceId: string): ClusterMember | undefined {
    return [...this.members.values()].find((m) => m.instanceId === instanceId);
  }

  /** SIGKILL: no shutdown code runs; leases expire and other members take over. */
  async kill(name: string): Promise<void> {
    const m = this.members.get(name);
    if (!m) return;
    m.ended = true;
    m.process.kill('SIGKILL');
    await m.exited;
    this.members.delete(name);
  }

  /** SIGTERM: graceful shutdown (finish turns, release leases). */
  async stop(name: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const m = this.members.get(name);
    if (!m) return { code: null, signal: null };
    m.ended = true;
    m.process.kill('SIGTERM');
    const guard = setTimeout(() => m.process.kill('SIGKILL'), 15000);
    const exit = await m.exited;
    clearTimeout(guard);
    this.members.delete(name);
    return exit;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.members.keys()].map((n) => this.stop(n)));
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    // Nest's JSON logger wraps our event JSON in `message`.
    if (typeof v.message === 'string' && v.message.startsWith('{')) {
      try {
        return { ...(JSON.parse(v.message) as Record<string, unknown>), context: v.context };
      } catch {
        return v;
      }
    }
    return v;
  } catch {
    return undefined;
  }
}
