import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** How to start one `pi --mode rpc` process. */
export interface PiLaunchOptions {
  /** The agent's workspace (its worktree); pi's tools work relative to it. */
  cwd: string;
  /** `PI_CODING_AGENT_DIR`: models.json, settings.json, auth.json. One per agent keeps agents apart. */
  agentDir: string;
  provider: string;
  model: string;
  /** Where session files go (`--session-dir`). Without it and without `noSession`, pi uses `<agentDir>/sessions/`. */
  sessionDir?: string;
  /** Keep the conversation in memory only (`--no-session`). */
  noSession?: boolean;
  /** Allow-list of tools (`--tools read,bash,edit,write`); `[]` disables all tools. Default: pi's own. */
  tools?: string[];
  /** Appended after the generated flags, e.g. `['--session', file]` or `['--thinking', 'off']`. */
  extraArgs?: string[];
  /**
   * The environment the process starts from (PATH must let `#!/usr/bin/env node` find node). The
   * caller decides what an agent may see; nothing is inherited from this process.
   */
  baseEnv: Record<string, string>;
  /** Path or PATH-relative name of the pi executable. Default `pi`. */
  piBin?: string;
  /** Opt back in to what is off by default so agents behave the same on every machine. */
  extensions?: boolean;
  skills?: boolean;
  contextFiles?: boolean;
  promptTemplates?: boolean;
}

export function buildPiArgs(options: PiLaunchOptions): string[] {
  if (options.noSession && options.sessionDir !== undefined) {
    throw new TypeError('PiLaunchOptions: give either sessionDir or noSession, not both');
  }
  const args = ['--mode', 'rpc', '--provider', options.provider, '--model', options.model];
  if (options.noSession) args.push('--no-session');
  if (options.sessionDir !== undefined) args.push('--session-dir', options.sessionDir);
  if (options.tools !== undefined) {
    if (options.tools.length === 0) args.push('--no-tools');
    else args.push('--tools', options.tools.join(','));
  }
  if (!options.extensions) args.push('--no-extensions');
  if (!options.skills) args.push('--no-skills');
  if (!options.contextFiles) args.push('--no-context-files');
  if (!options.promptTemplates) args.push('--no-prompt-templates');
  return [...args, ...(options.extraArgs ?? [])];
}

/**
 * The child's environment: the caller's base plus pi's own switches. `PI_OFFLINE` only stops pi's
 * startup network calls (version check, package updates, install telemetry), not model requests.
 */
export function buildPiEnv(options: PiLaunchOptions): Record<string, string> {
  return {
    ...options.baseEnv,
    PI_CODING_AGENT_DIR: options.agentDir,
    PI_TELEMETRY: '0',
    PI_OFFLINE: '1',
    PI_SKIP_VERSION_CHECK: '1',
  };
}

/**
 * Finds `node_modules/.bin/pi` in `fromDir` or one of its parents (the copy installed with Godel),
 * or undefined. Callers pass the result as `piBin`.
 */
export function locatePiBin(fromDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', '.bin', 'pi');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
