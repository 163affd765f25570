import { existsSync } from 'node:fs';
import { buildPiArgs, buildPiEnv, type PiLaunchOptions } from '../pi/pi-launch';
import { GUARD_EXTENSION_FILE, guardLaunchOptions, withPathGuard } from './guard-launch';

describe('guardLaunchOptions', () => {
  it('loads the extension file next to it (the .ts under jest) and passes the worktree, log and read roots', () => {
    expect(existsSync(GUARD_EXTENSION_FILE)).toBe(true);
    expect(GUARD_EXTENSION_FILE.endsWith('godel-path-guard.extension.ts')).toBe(true);
    expect(guardLaunchOptions({ worktree: '/w/a', logFile: '/logs/a.jsonl', readRoots: ['/repo/node_modules'] })).toEqual({
      extraArgs: ['--extension', GUARD_EXTENSION_FILE],
      env: { GODEL_WORKTREE: '/w/a', GODEL_GUARD_LOG: '/logs/a.jsonl', GODEL_GUARD_READ_ROOTS: '["/repo/node_modules"]' },
    });
    expect(guardLaunchOptions({ worktree: '/w/a' }).env).toEqual({ GODEL_WORKTREE: '/w/a' });
  });

  it('rejects relative paths and a log the agent could edit (inside its worktree)', () => {
    expect(() => guardLaunchOptions({ worktree: 'w/a' })).toThrow(/worktree must be absolute/);
    expect(() => guardLaunchOptions({ worktree: '/w/a', logFile: 'log.jsonl' })).toThrow(/logFile must be absolute/);
    expect(() => guardLaunchOptions({ worktree: '/w/a', logFile: '/w/a/.godel/log.jsonl' })).toThrow(/inside the worktree/);
    expect(() => guardLaunchOptions({ worktree: '/w/a/', logFile: '/w/a/..log' })).toThrow(/inside the worktree/);
    expect(() => guardLaunchOptions({ worktree: '/w/a', logFile: '/w/a/../a.jsonl' })).not.toThrow();
    expect(() => guardLaunchOptions({ worktree: '/w/a', readRoots: ['node_modules'] })).toThrow(/readRoots must be absolute/);
  });
});

describe('withPathGuard', () => {
  const base: PiLaunchOptions = {
    cwd: '/w/a',
    agentDir: '/agents/a',
    provider: 'p',
    model: 'm',
    extraArgs: ['--thinking', 'off'],
    baseEnv: { PATH: '/usr/bin', HOME: '/home/a' },
  };

  it('adds --extension after the launcher flags (with --no-extensions still there) and before the caller extras', () => {
    const args = buildPiArgs(withPathGuard(base, { logFile: '/logs/a.jsonl' }));
    expect(args).toContain('--no-extensions');
    expect(args.slice(-4)).toEqual(['--extension', GUARD_EXTENSION_FILE, '--thinking', 'off']);
  });

  it('adds the variables to the child env, worktree defaulting to cwd; the input is not modified', () => {
    const env = buildPiEnv(withPathGuard(base, { logFile: '/logs/a.jsonl' }));
    expect(env).toMatchObject({ PATH: '/usr/bin', HOME: '/home/a', GODEL_WORKTREE: '/w/a', GODEL_GUARD_LOG: '/logs/a.jsonl', PI_CODING_AGENT_DIR: '/agents/a' });
    expect(withPathGuard(base, { worktree: '/w' }).baseEnv.GODEL_WORKTREE).toBe('/w');
    expect(base.extraArgs).toEqual(['--thinking', 'off']);
    expect(base.baseEnv).toEqual({ PATH: '/usr/bin', HOME: '/home/a' });
  });
});
