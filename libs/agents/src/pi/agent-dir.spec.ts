import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModelsJson, writeSettingsJson } from './agent-dir';

describe('agent dir files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'godel-agentdir-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const readJson = async (name: string) => JSON.parse(await readFile(join(dir, 'agent', name), 'utf8'));

  it('adds and replaces providers in models.json, keeping the others', async () => {
    const agentDir = join(dir, 'agent');
    await writeModelsJson(agentDir, { providerName: 'local', baseUrl: 'http://127.0.0.1:1/v1', api: 'openai-completions', apiKey: 'K', models: [{ id: 'm1' }] });
    const path = await writeModelsJson(agentDir, {
      providerName: 'scripted',
      baseUrl: 'http://127.0.0.1:2/v1',
      api: 'openai-completions',
      apiKey: 'sk-scripted',
      compat: { supportsDeveloperRole: false },
      models: [{ id: 'scripted', contextWindow: 32000 }],
    });
    await writeModelsJson(agentDir, { providerName: 'local', baseUrl: 'http://127.0.0.1:3/v1', api: 'openai-completions', apiKey: 'K', models: [{ id: 'm2' }] });
    expect(path).toBe(join(agentDir, 'models.json'));
    expect(await readJson('models.json')).toEqual({
      providers: {
        local: { baseUrl: 'http://127.0.0.1:3/v1', api: 'openai-completions', apiKey: 'K', models: [{ id: 'm2' }] },
        scripted: {
          baseUrl: 'http://127.0.0.1:2/v1',
          api: 'openai-completions',
          apiKey: 'sk-scripted',
          compat: { supportsDeveloperRole: false },
          models: [{ id: 'scripted', contextWindow: 32000 }],
        },
      },
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(agentDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('deep-merges settings.json, keeping what pi wrote', async () => {
    const agentDir = join(dir, 'agent');
    await writeSettingsJson(agentDir, { defaultProvider: 'x' });
    await writeSettingsJson(agentDir, { retry: { enabled: false, provider: { maxRetries: 0 } } });
    await writeSettingsJson(agentDir, { retry: { baseDelayMs: 10 } });
    expect(await readJson('settings.json')).toEqual({ defaultProvider: 'x', retry: { enabled: false, baseDelayMs: 10, provider: { maxRetries: 0 } } });
  });

  it('refuses to overwrite a file that is not a JSON object', async () => {
    const agentDir = join(dir, 'agent');
    await writeSettingsJson(agentDir, {});
    await writeFile(join(agentDir, 'settings.json'), '[1]');
    await expect(writeSettingsJson(agentDir, { a: 1 })).rejects.toThrow('does not hold a JSON object');
  });
});
