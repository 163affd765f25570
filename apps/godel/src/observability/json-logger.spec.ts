import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { JsonLogger, runInContext, setLogContextEnabled, startSpan, withLogContext, type LogLevel } from '@godel/observability';
import { redactText } from '@godel/persistence';

/** Pure: the server's logger (JsonLogger + the persistence redaction) writing into an array. Mocked: nothing. */
function logger(level: LogLevel): { log: JsonLogger; lines: () => Array<Record<string, unknown>>; raw: () => string } {
  const chunks: string[] = [];
  const log = new JsonLogger({ level, redact: redactText, base: { instance: 'i-test' }, destination: { write: (s: string) => void chunks.push(s) } });
  return { log, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), raw: () => chunks.join('') };
}

describe('JsonLogger', () => {
  it('writes one valid JSON object per line with secrets and PII redacted', () => {
    const { log, lines, raw } = logger('info');
    log.log(JSON.stringify({ event: 'login', user: 'ops@example.com', header: 'Bearer abcdefghijklmnop' }), 'auth');
    log.error('failed for key sk-proj-abcdefghijklmnopqrstuvwxyz', undefined, 'billing');
    log.warn('card 4111 1111 1111 1111 declined', 'pay');
    const out = lines();
    expect(out).toHaveLength(3);
    expect(out[0]).toMatchObject({ level: 'info', context: 'auth', event: 'login', instance: 'i-test' });
    expect(out[1]).toMatchObject({ level: 'error', context: 'billing' });
    expect(raw()).not.toContain('ops@example.com');
    expect(raw()).not.toContain('abcdefghijklmnop');
    expect(raw()).not.toContain('sk-proj-');
    expect(raw()).toContain('[redacted:email]');
    expect(raw()).toContain('[redacted:api_key]');
    expect(raw()).toContain('card [redacted:card] declined');
  });

  it('honours the level (GODEL_LOG_LEVEL): below it nothing is written', () => {
    const warn = logger('warn');
    warn.log.debug('d');
    warn.log.log('i');
    warn.log.warn('w');
    warn.log.error('e');
    expect(warn.lines().map((l) => l.message)).toEqual(['w', 'e']);
    const debug = logger('debug');
    debug.log.debug('d', 'ctx');
    debug.log.verbose('v');
    expect(debug.lines().map((l) => l.level)).toEqual(['debug', 'debug']);
  });

  it('puts the request id, correlation id and trace id of the current request or turn on each line', () => {
    // What the SDK registers when tracing is on (startTracing): context in AsyncLocalStorage, W3C propagation.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const { log, lines } = logger('info');
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const { span, ctx } = startSpan('test', { parent: { traceparent } });
    withLogContext({ requestId: 'req-1', correlationId: 'corr-1' }, () => runInContext(ctx, () => log.log('inside', 'http')));
    span.end();
    log.log('outside');
    const [inside, outside] = lines();
    expect(inside).toMatchObject({ requestId: 'req-1', correlationId: 'corr-1', trace_id: '0af7651916cd43dd8448eb211c80319c' });
    expect(typeof inside.span_id).toBe('string');
    expect(outside.requestId).toBeUndefined();
    expect(outside.trace_id).toBeUndefined();
  });

  it('GODEL_LOG_CONTEXT off: the function still runs, lines carry no request or correlation id', () => {
    const { log, lines } = logger('info');
    setLogContextEnabled(false);
    try {
      expect(withLogContext({ requestId: 'req-2', correlationId: 'corr-2' }, () => (log.log('inside', 'http'), 42))).toBe(42);
    } finally {
      setLogContextEnabled(true);
    }
    withLogContext({ requestId: 'req-3' }, () => log.log('on again'));
    const [off, on] = lines();
    expect(off.requestId).toBeUndefined();
    expect(off.correlationId).toBeUndefined();
    expect(on.requestId).toBe('req-3');
  });
});
