import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPiArgs, buildPiEnv, locatePiBin, type PiLaunchOptions } from './pi-launch';

const base: PiLaunchOptions = { cwd: '/w', agentDir: '/a', provider: 'scripted', model: 'm1', baseEnv: { PATH: '/bin', HOME: '/h' } };

describe('buildPiArgs', () => {
  it('runs rpc mode isolated from the machine by default', () => {
    expect(buildPiArgs(base)).toEqual([
      '--mode', 'rpc', '--provider', 'scripted', '--model', 'm1',
      '--no-extensions', '--no-skills', '--no-context-files', '--no-prompt-templates',
    ]);
  });

  it('passes sessions, tools, opt-ins and extra args', () => {
    expect(buildPiArgs({ ...base, sessionDir: '/s', tools: ['read', 'write'], extensions: true, skills: true, contextFiles: true, promptTemplates: true, extraArgs: ['--thinking', 'off'] })).toEqual([
      '--mode', 'rpc', '--provider', 'scripted', '--model', 'm1', '--session-dir', '/s', '--tools', 'read,write', '--thinking', 'off',
    ]);
    expect(buildPiArgs({ ...base, noSession: true, tools: [] })).toContain('--no-tools');
    expect(buildPiArgs({ ...base, noSession: true })).toContain('--no-session');
    expect(() => buildPiArgs({ ...base, noSession: true, sessionDir: '/s' })).toThrow('either sessionDir or noSession');
  });
});

describe('buildPiEnv', () => {
  it('is the base env plus the agent dir and no telemetry / startup network', () => {
    expect(buildPiEnv(base)).toEqual({
      PATH: '/bin',
      HOME: '/h',
      PI_CODING_AGENT_DIR: '/a',
      PI_TELEMETRY: '0',
      PI_OFFLINE: '1',
      PI_SKIP_VERSION_CHECK: '1',
    });
  });
});

describe('locatePiBin', () => {
  it('walks up to the nearest node_modules/.bin/pi', async () => {
    const root = await mkdtemp(join(tmpdir(), 'godel-locate-'));
    try {
      await mkdir(join(root, 'node_modules', '.bin'), { recursive: true });
      await writeFile(join(root, 'node_modules', '.bin', 'pi'), '');
      await mkdir(join(root, 'a', 'b'), { recursive: true });
      expect(locatePiBin(join(root, 'a', 'b'))).toBe(join(root, 'node_modules', '.bin', 'pi'));
      expect(locatePiBin('/')).toBeUndefined();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
