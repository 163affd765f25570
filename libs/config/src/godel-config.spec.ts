import { loadConfig } from './godel-config';

/** Pure: loadConfig over a given environment. */
describe('loadConfig: listen address, logs, traces', () => {
  it('listens on 127.0.0.1 unless GODEL_HOST says otherwise', () => {
    expect(loadConfig({}).httpHost).toBe('127.0.0.1');
    expect(loadConfig({ GODEL_HOST: '0.0.0.0' }).httpHost).toBe('0.0.0.0');
    expect(loadConfig({ GODEL_HOST: '::' }).httpHost).toBe('::');
    expect(() => loadConfig({ GODEL_HOST: 'http://0.0.0.0:7373' })).toThrow(expect.objectContaining({ code: 'config.invalid' }));
    expect(() => loadConfig({ GODEL_HOST: 'a b' })).toThrow(/GODEL_HOST/);
  });

  it('GODEL_LOG_LEVEL is one of debug|info|warn|error (info by default)', () => {
    expect(loadConfig({}).logLevel).toBe('info');
    expect(loadConfig({ GODEL_LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(() => loadConfig({ GODEL_LOG_LEVEL: 'verbose' })).toThrow(/GODEL_LOG_LEVEL/);
  });

  it('traces are off unless OTEL_EXPORTER_OTLP_ENDPOINT is an http(s) URL', () => {
    expect(loadConfig({}).otel).toEqual({ endpoint: undefined, serviceName: 'godel', sampleRatio: 1 });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_SERVICE_NAME: 'godel-eu', OTEL_TRACES_SAMPLER_ARG: '0.1' }).otel).toEqual({ endpoint: 'http://collector:4318', serviceName: 'godel-eu', sampleRatio: 0.1 });
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
