import { existsSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { PiLaunchOptions } from '../pi/pi-launch';
import { GUARD_ENV } from './guard-protocol';

/**
 * The extension file pi loads: the .ts next to this module when running from source (pi compiles
 * it with its own loader), the compiled .js next to it after `npm run build`.
 */
export const GUARD_EXTENSION_FILE = join(__dirname, `godel-path-guard.extension${extname(__filename) || '.js'}`);

export interface GuardOptions {
  /** Absolute path of the agent's worktree: every tool path must resolve inside it. */
  worktree: string;
  /**
   * Absolute path of the JSONL file the guard appends `guard.denied` records to. Must lie outside
   * the worktree, or the agent could edit its own record. Optional: without it denials are only
   * visible as RPC events.
   */
  logFile?: string;
  /**
   * Further absolute roots the read-only tools (read, ls, grep, find) may resolve into, e.g. the
   * main repository's `node_modules` that a worktree's `node_modules` symlink points to. Never
   * applies to write, edit or bash.
   */
  readRoots?: readonly string[];
}

/** What to add to a pi launch: flags to append and variables to add to the child's environment. */
export interface GuardLaunch {
  extraArgs: string[];
  env: Record<string, string>;
}

/**
 * `--extension <guard>` plus its environment. Works together with the launcher's default
 * `--no-extensions` (that flag only stops discovery; explicit `--extension` files still load).
 */
export function guardLaunchOptions(options: GuardOptions): GuardLaunch {
  const { worktree, logFile, readRoots = [] } = options;
  if (!isAbsolute(worktree)) throw new TypeError(`guardLaunchOptions: worktree must be absolute, got ${worktree}`);
  if (logFile !== undefined) {
    if (!isAbsolute(logFile)) throw new TypeError(`guardLaunchOptions: logFile must be absolute, got ${logFile}`);
    if (isWithin(worktree, logFile)) throw new TypeError(`guardLaunchOptions: logFile ${logFile} lies inside the worktree; the agent could rewrite it`);
  }
  for (const root of readRoots) {
    if (!isAbsolute(root)) throw new TypeError(`guardLaunchOptions: readRoots must be absolute, got ${root}`);
  }
  if (!existsSync(GUARD_EXTENSION_FILE)) throw new Error(`path guard extension missing: ${GUARD_EXTENSION_FILE}`);
  const env: Record<string, string> = { [GUARD_ENV.worktree]: worktree };
  if (logFile !== undefined) env[GUARD_ENV.log] = logFile;
  if (readRoots.length > 0) env[GUARD_ENV.readRoots] = JSON.stringify(readRoots);
  return { extraArgs: ['--extension', GUARD_EXTENSION_FILE], env };
}

/**
 * `options` with the guard added: its flags before the caller's `extraArgs`, its variables over
 * `baseEnv`. The worktree defaults to `options.cwd`.
 */
export function withPathGuard<T extends PiLaunchOptions>(options: T, guard: Partial<GuardOptions> = {}): T {
  const launch = guardLaunchOptions({ ...guard, worktree: guard.worktree ?? options.cwd });
  return {
    ...options,
    extraArgs: [...launch.extraArgs, ...(options.extraArgs ?? [])],
    baseEnv: { ...options.baseEnv, ...launch.env },
  };
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel));
}
