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

describe('loadConfig: Redis or a Redis Cluster', () => {
  it('REDIS_URL as given; REDIS_CLUSTER_NODES becomes a redis+cluster:// URL; both, or a bad node, is refused', () => {
    expect(loadConfig({}).redisUrl).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://h:6380/2' }).redisUrl).toBe('redis://h:6380/2');
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001' }).redisUrl).toBe('redis+cluster://10.0.0.1:7000,10.0.0.2:7001');
    expect(loadConfig({ REDIS_URL: 'redis+cluster://u:p@a:7000,b:7001' }).redisUrl).toBe('redis+cluster://u:p@a:7000,b:7001');
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b' })).toThrow(expect.objectContaining({ code: 'config.invalid', message: expect.stringMatching(/REDIS_CLUSTER_NODES.*"b"/) }));
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:99999' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => loadConfig({ REDIS_URL: 'redis+cluster://a' })).toThrow(/cluster URL/);
    expect(() => loadConfig({ REDIS_URL: 'redis://a', REDIS_CLUSTER_NODES: 'a:7000' })).toThrow(/not both/);
  });
});

describe('loadConfig: federation placement and mirrors', () => {
  it('GODEL_PLACEMENT_MAX_LAG_MS sets the health threshold (1000 ms by default); GODEL_MIRROR_TTL_DAYS the mirror GC (30, 0 = keep)', () => {
    expect(loadConfig({}).runtime.placementMaxLagMs).toBe(1000);
    expect(loadConfig({ GODEL_PLACEMENT_MAX_LAG_MS: '2500' }).runtime.placementMaxLagMs).toBe(2500);
    expect(() => loadConfig({ GODEL_PLACEMENT_MAX_LAG_MS: 'soon' })).toThrow(/GODEL_PLACEMENT_MAX_LAG_MS/);
    expect(() => loadConfig({ GODEL_PLACEMENT_MAX_LAG_MS: '0' })).toThrow(/GODEL_PLACEMENT_MAX_LAG_MS/);
    expect(loadConfig({}).cleanup.mirrorTtlDays).toBe(30);
    expect(loadConfig({ GODEL_MIRROR_TTL_DAYS: '0' }).cleanup.mirrorTtlDays).toBe(0);
    expect(() => loadConfig({ GODEL_MIRROR_TTL_DAYS: '-1' })).toThrow(/GODEL_MIRROR_TTL_DAYS/);
  });
});
