import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@godel/config';
import { AppModule } from './app.module';
import { configureHttp } from './http/openapi';
import { RedactingLogger } from './logging/redacting-logger';
import type { BuiltRuntime } from './runtime/build-runtime';
import { RUNTIME } from './runtime/runtime.tokens';

/** The Godel server: the API and the actor runtime (GODEL_ROLES). Needs REDIS_URL and DATABASE_URL. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.redisUrl || !config.databaseUrl) {
    process.stderr.write('godel: set REDIS_URL and DATABASE_URL, or run `godel up` which starts local ones\n');
    process.exit(2);
  }
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: new RedactingLogger({ json: true, colors: false, logLevels: ['error', 'warn', 'log'] }) });
  configureHttp(app);
  // Graceful shutdown on SIGTERM/SIGINT: finish turns in flight, release leases, then exit 0.
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      app
        .close()
        .then(() => process.exit(0))
        .catch((err) => {
          process.stderr.write(`godel: shutdown failed: ${String(err)}\n`);
          process.exit(1);
        });
    });
  }
  await app.listen(config.httpPort, '127.0.0.1');
  const url = await app.getUrl();
  process.stdout.write(`${JSON.stringify({ event: 'godel.ready', url, instance: app.get<BuiltRuntime>(RUNTIME).system.instanceId, pid: process.pid })}\n`);
}

main().catch((err) => {
  process.stderr.write(`godel: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
