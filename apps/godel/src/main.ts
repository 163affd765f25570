import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@godel/config';
import { JsonLogger, setLogContextEnabled, startTracing } from '@godel/observability';
import { redactText } from '@godel/persistence';
import { AppModule } from './app.module';
import { configureHttp } from './http/openapi';
import { newInstanceId, type BuiltRuntime } from './runtime/build-runtime';
import { RUNTIME } from './tokens';

/** The Godel server: the API and the actor runtime (GODEL_ROLES). Needs REDIS_URL and DATABASE_URL. */
async function main(): Promise<void> {
  const loaded = loadConfig();
  if (!loaded.redisUrl || !loaded.databaseUrl) {
    process.stderr.write('godel: set REDIS_URL and DATABASE_URL, or run `godel up` which starts local ones\n');
    process.exit(2);
  }
  const config = { ...loaded, instanceId: loaded.instanceId ?? newInstanceId() };
  // Traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set; started before the app so every span is exported.
  const tracing = config.otel.endpoint ? startTracing({ endpoint: config.otel.endpoint, serviceName: config.otel.serviceName, instanceId: config.instanceId, sampleRatio: config.otel.sampleRatio }) : undefined;
  // JSON lines on stdout, GODEL_LOG_LEVEL honoured, PII and secrets redacted from every line.
  setLogContextEnabled(config.logContext);
  const logger = new JsonLogger({ level: config.logLevel, redact: redactText, base: { instance: config.instanceId } });
  const app = await NestFactory.create(AppModule.forRoot(config), { logger });
  configureHttp(app);
  // Graceful shutdown on SIGTERM/SIGINT: finish turns in flight, release leases, export spans, then exit 0.
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      app
        .close()
        .then(() => tracing?.shutdown())
        .then(() => process.exit(0))
        .catch((err) => {
          process.stderr.write(`godel: shutdown failed: ${String(err)}\n`);
          process.exit(1);
        });
    });
  }
  await app.listen(config.httpPort, config.httpHost);
  const url = await app.getUrl();
  process.stdout.write(`${JSON.stringify({ event: 'godel.ready', url, instance: app.get<BuiltRuntime>(RUNTIME).system.instanceId, pid: process.pid, tracing: !!tracing })}\n`);
}

main().catch((err) => {
  process.stderr.write(`godel: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
