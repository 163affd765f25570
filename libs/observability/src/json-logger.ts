import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { currentLogContext } from './log-context';
import { activeIds } from './trace-context';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface JsonLoggerOptions {
  /** Lowest level written (GODEL_LOG_LEVEL). */
  level: LogLevel;
  /** Applied to every finished line (PII and secret redaction); must keep a JSON line valid JSON. */
  redact?: (line: string) => string;
  /** Fields on every line (e.g. the instance id). */
  base?: Record<string, unknown>;
  /** Where lines go (default stdout, written synchronously so nothing is lost at exit). */
  destination?: pino.DestinationStream;
}

/**
 * Nest's LoggerService on pino: one JSON object per line with `time`, `level`, `context`, `message`
 * and, when the line is written while handling a request, a turn or a job, `requestId`,
 * `correlationId`, `actor`, `trace_id` and `span_id` (from the log context and the active span).
 * Levels below GODEL_LOG_LEVEL are dropped; `redact` runs over the finished line.
 */
export class JsonLogger implements LoggerService {
  readonly pino: Logger;

  constructor(o: JsonLoggerOptions) {
    const redact = o.redact;
    this.pino = pino(
      {
        level: o.level,
        base: { pid: process.pid, ...o.base },
        messageKey: 'message',
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin() {
          const ids = activeIds();
          return { ...currentLogContext(), ...(ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {}) };
        },
        hooks: redact ? { streamWrite: (s: string) => redact(s) } : undefined,
      },
      o.destination ?? pino.destination({ dest: 1, sync: true }),
    );
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    // Nest passes (message, stack?, context?).
    const [stack, context] = params.length >= 2 ? params : [undefined, params[0]];
    this.write('error', message, context === undefined ? [] : [context], typeof stack === 'string' ? { stack } : {});
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  private write(level: LogLevel, message: unknown, params: unknown[], extra: Record<string, unknown> = {}): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const context = typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    const text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
    const fields: Record<string, unknown> = { ...extra, ...(context ? { context } : {}) };
    if (message instanceof Error && message.stack) fields.stack = message.stack;
    // Our event lines are JSON objects: their fields are lifted onto the line too (the message stays as written).
    if (text.startsWith('{')) {
      try {
        const ev = JSON.parse(text) as Record<string, unknown>;
        if (typeof ev.event === 'string') fields.event = ev.event;
      } catch {
        // plain text
      }
    }
    this.pino[level](fields, text);
  }
}
