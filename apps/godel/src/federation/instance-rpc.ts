import type { RedisClient } from '@godel/runtime-redis';
import { firstValueFrom, timeout } from 'rxjs';
import { InstanceRpcError, InstanceUnavailableError } from './federation-errors';
import { createProbe, GodelClientRedis, GodelServerRedis, subscribers } from './redis-transport';

export type RpcHandler = (data: Record<string, unknown>) => Promise<unknown>;

type Answer = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

/**
 * Instance-to-instance requests over @nestjs/microservices' Redis transport: each instance listens
 * on `<prefix>.rpc.<instance>.<name>` patterns, so a request reaches exactly the instance that
 * holds the resource (a worktree, a process). The channel carries no user credentials: the API
 * instance authorizes the caller first and sends only what the handler needs (an agent address).
 * Redis, not NATS: every instance already depends on Redis and nothing else; a second broker
 * would be one more thing to run, secure and lose.
 */
export class InstanceRpc {
  private server?: GodelServerRedis;
  private client?: GodelClientRedis;
  private readonly local = new Map<string, RpcHandler>();
  /** Asks Redis who listens (PUBSUB NUMSUB): a killed instance's subscriptions vanish with its connection. */
  private probe?: RedisClient;

  /** `retryAfterS`: what a caller of a gone instance is told to wait (about a lease: its shards move by then). */
  constructor(
    private readonly o: { redisUrl: string; prefix: string; self: string; timeoutMs?: number; retryAfterS?: number },
  ) {}

  private pattern(instance: string, name: string): string {
    return `${this.o.prefix}.rpc.${instance}.${name}`;
  }

  /** Serves `handlers` for this instance and opens the client side. */
  async start(handlers: Record<string, RpcHandler>): Promise<void> {
    // On a `redis+cluster://` URL both sides hold a Cluster connection (redis-transport.ts): any node may go.
    const server = new GodelServerRedis(this.o.redisUrl);
    for (const [name, fn] of Object.entries(handlers)) {
      this.local.set(name, fn);
      server.addHandler(this.pattern(this.o.self, name), (data: Record<string, unknown>) => answer(fn, data));
    }
    await new Promise<void>((resolve, reject) => void server.listen((err?: unknown) => (err ? reject(err as Error) : resolve())));
    this.server = server;
    this.client = new GodelClientRedis(this.o.redisUrl);
    await this.client.connect();
    this.probe = createProbe(this.o.redisUrl);
  }

  /** Whether `instance` serves `name` now (its subscription is in Redis); true when Redis cannot tell. */
  async listening(instance: string, name: string): Promise<boolean> {
    if (instance === this.o.self) return this.local.has(name);
    try {
      const n = await subscribers(this.probe!, this.pattern(instance, name));
      return n === undefined || n > 0;
    } catch {
      return true; // let the call itself time out (typed) rather than guess
    }
  }

  /** Calls `name` on `instance` (directly when it is this one); typed error when it does not answer. */
  async call<T>(instance: string, name: string, data: Record<string, unknown>, timeoutMs = this.o.timeoutMs ?? 5000): Promise<T> {
    const local = instance === this.o.self ? this.local.get(name) : undefined;
    let a: Answer;
    if (local) a = await answer(local, data);
    else {
      if (!this.client) throw new InstanceRpcError('instance RPC is not started on this instance');
      const retryAfterS = this.o.retryAfterS ?? 3;
      if (!(await this.listening(instance, name))) {
        throw new InstanceUnavailableError(`instance ${instance} is not serving ${name} (gone or restarting); its work moves to another instance, retry`, { instance, name, retryAfterS });
      }
      try {
        a = await firstValueFrom(this.client.send<Answer>(this.pattern(instance, name), data).pipe(timeout(timeoutMs)));
      } catch (err) {
        throw new InstanceUnavailableError(`instance ${instance} did not answer ${name} within ${timeoutMs} ms (${err instanceof Error ? err.name : String(err)})`, { instance, name, retryAfterS });
      }
    }
    if (!a.ok) throw Object.assign(new InstanceRpcError(a.error.message, { instance, name }), { code: a.error.code });
    return a.value as T;
  }

  async close(): Promise<void> {
    this.probe?.disconnect();
    await this.client?.close().catch(() => undefined);
    await this.server?.close().catch(() => undefined);
  }
}

async function answer(fn: RpcHandler, data: Record<string, unknown>): Promise<Answer> {
  try {
    return { ok: true, value: await fn(data ?? {}) };
  } catch (err) {
    const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'internal';
    return { ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } };
  }
}
