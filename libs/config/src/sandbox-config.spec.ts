import { loadConfig } from './godel-config';

describe('GODEL_SANDBOX', () => {
  it('defaults to bubblewrap; off only when asked; anything else is a config error', () => {
    expect(loadConfig({}).sandbox).toBe('bwrap');
    expect(loadConfig({ GODEL_SANDBOX: 'on' }).sandbox).toBe('bwrap');
    expect(loadConfig({ GODEL_SANDBOX: 'off' }).sandbox).toBe('off');
    expect(() => loadConfig({ GODEL_SANDBOX: 'no' })).toThrow(/GODEL_SANDBOX/);
  });

  it('GODEL_SANDBOX_NICE: niceness of sandboxed commands, 10 by default, 0–19', () => {
    expect(loadConfig({}).sandboxNice).toBe(10);
    expect(loadConfig({ GODEL_SANDBOX_NICE: '0' }).sandboxNice).toBe(0);
    expect(loadConfig({ GODEL_SANDBOX_NICE: '19' }).sandboxNice).toBe(19);
    expect(() => loadConfig({ GODEL_SANDBOX_NICE: '20' })).toThrow(/GODEL_SANDBOX_NICE/);
    expect(() => loadConfig({ GODEL_SANDBOX_NICE: '-5' })).toThrow(/GODEL_SANDBOX_NICE/);
  });
});
