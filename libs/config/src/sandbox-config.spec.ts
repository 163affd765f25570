import { loadConfig } from './godel-config';

describe('GODEL_SANDBOX', () => {
  it('defaults to bubblewrap; off only when asked; anything else is a config error', () => {
    expect(loadConfig({}).sandbox).toBe('bwrap');
    expect(loadConfig({ GODEL_SANDBOX: 'on' }).sandbox).toBe('bwrap');
    expect(loadConfig({ GODEL_SANDBOX: 'off' }).sandbox).toBe('off');
    expect(() => loadConfig({ GODEL_SANDBOX: 'no' })).toThrow(/GODEL_SANDBOX/);
  });
});
