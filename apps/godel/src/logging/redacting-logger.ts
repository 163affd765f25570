import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { redactText } from '@godel/persistence';

/**
 * Nest's ConsoleLogger with PII and secrets redacted from every line it writes (JSON or text):
 * e-mails, API keys, tokens, card numbers become `[redacted:<kind>]` (see @godel/persistence
 * redaction). Redacts the finished line, so messages, params, errors and stacks are all covered;
 * the replacements contain no quote or backslash, so a JSON line stays valid JSON.
 */
export class RedactingLogger extends ConsoleLogger {
  protected override stringifyJsonLogObject(logObject: Record<string, unknown>): string {
    return redactText(super.stringifyJsonLogObject(logObject));
  }

  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
    params?: Record<string, any>,
  ): string {
    return redactText(super.formatMessage(logLevel, message, pidMessage, formattedLogLevel, contextMessage, timestampDiff, params));
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(typeof stack === 'string' ? redactText(stack) : stack);
  }
}
