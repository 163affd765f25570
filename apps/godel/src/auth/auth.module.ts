import { Inject, Logger, Module, RequestMethod, type MiddlewareConsumer, type NestModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AccessTokens, ApiKeyStore, AuditLog, RateLimiter, RefreshTokens, Revocations, newSecret } from '@godel/auth';
import type { GodelConfig } from '@godel/config';
import { SUBSCRIBER_CLIENT_OPTIONS, duplicateClient } from '@godel/runtime-redis';
import type { DataSource } from 'typeorm';
import type { BuiltRuntime } from '../runtime/build-runtime';
import { RuntimeModule } from '../runtime/runtime.module';
import { StoreModule } from '../store/store.module';
import { DATA_SOURCE, GODEL_CONFIG, RUNTIME } from '../tokens';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { VerifiedTokens } from './verified-tokens';
import { RequestContextMiddleware } from './request-context.middleware';

function buildAuth(config: GodelConfig, ds: DataSource, rt: BuiltRuntime): AuthService {
  const log = new Logger('auth');
  let adminKey = config.auth.adminKey;
  if (!adminKey) {
    adminKey = newSecret('gdk');
    // Dev convenience, printed once: a deployment sets GODEL_ADMIN_KEY (the same on every instance).
    // Written past the redacting logger on purpose (it would hide the gdk_ key): this one line exists to show it.
    process.stdout.write(`${JSON.stringify({ level: 'warn', context: 'auth', event: 'auth.bootstrap_key', key: adminKey, message: 'GODEL_ADMIN_KEY is not set: generated a bootstrap admin key for this process (log in with `godel auth login --key <key>`)' })}\n`);
  }
  let jwtSecret = config.auth.jwtSecret;
  if (!jwtSecret) {
    jwtSecret = newSecret('jwt');
    log.warn(JSON.stringify({ event: 'auth.jwt_secret_generated', message: 'GODEL_JWT_SECRET is not set: access tokens of this process are valid on this process only' }));
  }
  // A subscriber: SUBSCRIBE is idempotent and ioredis re-subscribes (docs/adr/0004).
  const subscriber = duplicateClient(rt.redis, SUBSCRIBER_CLIENT_OPTIONS);
  const keys = new ApiKeyStore(ds, adminKey);
  return new AuthService(
    keys,
    new AccessTokens(jwtSecret, config.auth.accessTtlS),
    new RefreshTokens(ds, config.auth.refreshTtlS),
    new Revocations({
      load: () => keys.revokedIds(),
      subscriber,
      publisher: rt.redis,
      channel: `${rt.keys.prefix}:auth:revoked`,
      onError: (err) => log.error(JSON.stringify({ event: 'auth.revocations_failed', error: String(err), message: 'revocations reach other instances at their next re-read (≤ 5 s)' })),
    }),
    new RateLimiter(rt.redis, rt.keys.prefix, config.auth.rateLimit),
    new AuditLog(ds),
    new RateLimiter(rt.redis, `${rt.keys.prefix}:login`, config.auth.loginRateLimit),
    new VerifiedTokens(config.auth.verifiedCacheMs ?? 30_000),
  );
}

/** Authentication, roles, rate limits and the audit log (libs/auth), wired into Nest. */
@Module({
  imports: [RuntimeModule, StoreModule],
  controllers: [AuthController],
  providers: [
    { provide: AuthService, inject: [GODEL_CONFIG, DATA_SOURCE, RUNTIME], useFactory: buildAuth },
    RequestContextMiddleware,
  ],
  exports: [AuthService],
})
export class AuthModule implements NestModule, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestContextMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.auth.revocations.start();
  }

  onApplicationShutdown(): void {
    this.auth.revocations.close();
  }
}
