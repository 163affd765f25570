import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { gitMounts, installRootOf, type Sandbox } from '@godel/sandbox';
import type { Launcher } from '../runtime/launcher';
import type { ProviderRef } from './provider-chain';

/** Hosts of pi's built-in providers (used when a provider has no baseUrl of its own). */
const BUILTIN_HOSTS: Record<string, string[]> = {
  anthropic: ['api.anthropic.com:443'],
  openai: ['api.openai.com:443'],
  google: ['generativelanguage.googleapis.com:443'],
  openrouter: ['openrouter.ai:443'],
  groq: ['api.groq.com:443'],
  mistral: ['api.mistral.ai:443'],
  xai: ['api.x.ai:443'],
  cerebras: ['api.cerebras.ai:443'],
  deepseek: ['api.deepseek.com:443'],
};

/** The environment variable pi reads for a built-in provider's key. */
const BUILTIN_KEYS: Record<string, string> = { google: 'GEMINI_API_KEY' };

const PASSED = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TERM'];

/**
 * An agent's whole environment: PATH and locale from `base`, its scratch HOME, and the keys of the
 * providers in its chain by name (a provider's `apiKey` when it names a variable, the built-in
 * provider's conventional variable otherwise). Nothing else: no GODEL_*, DATABASE_URL, REDIS_URL,
 * no other provider's key.
 */
export function agentEnv(base: Record<string, string>, providers: readonly ProviderRef[], home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASSED) if (base[k] !== undefined) env[k] = base[k];
  env.HOME = home;
  for (const name of keyNames(providers)) if (base[name] !== undefined && !name.startsWith('GODEL_')) env[name] = base[name];
  return env;
}

function keyNames(providers: readonly ProviderRef[]): string[] {
  const names = new Set<string>();
  for (const p of providers) {
    if (p.apiKey && /^[A-Z_][A-Z0-9_]*$/.test(p.apiKey)) names.add(p.apiKey);
    else if (!p.apiKey && !p.baseUrl) names.add(BUILTIN_KEYS[p.provider] ?? `${p.provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`);
  }
  return [...names];
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)$/i;

/** Where the providers of a chain are: loopback ports (relayed) and remote host:ports (egress proxy). */
export function providerEndpoints(providers: readonly ProviderRef[]): { loopbackPorts: number[]; egressHosts: string[] } {
  const loopbackPorts = new Set<number>();
  const egressHosts = new Set<string>();
  for (const p of providers) {
    if (!p.baseUrl) {
      for (const h of BUILTIN_HOSTS[p.provider] ?? []) egressHosts.add(h);
      continue;
    }
    let url: URL;
    try {
      url = new URL(p.baseUrl);
    } catch {
      continue;
    }
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (LOOPBACK.test(url.hostname)) loopbackPorts.add(port);
    else egressHosts.add(`${url.hostname}:${port}`);
  }
  return { loopbackPorts: [...loopbackPorts], egressHosts: [...egressHosts] };
}

export interface AgentSandboxSpec {
  sandbox: Sandbox;
  /** The agent's worktree (read-write, with git's writable parts). */
  worktree: string;
  /** The agent's own folder (pi dir, sessions, guard log, scratch home): read-write. */
  agentRoot: string;
  /** Files whose install roots must be readable besides the command itself (the guard extension). */
  programs: readonly string[];
  /** Further read-only folders (the repository's shared node_modules...). */
  readRoots?: readonly string[];
  /** Emptied inside even when under a readable folder (Godel's home). */
  hidden?: readonly string[];
  providers: readonly ProviderRef[];
  onEgressDenied?: (target: string) => void;
}

/** The launcher that puts one agent's process in its sandbox. */
export function agentLauncher(spec: AgentSandboxSpec): Launcher {
  return async (cmd) => {
    const git = gitMounts(spec.worktree, true);
    const readable = [...[cmd.file, ...spec.programs].map(programRoot), ...(spec.readRoots ?? []), ...git.readable];
    const { loopbackPorts, egressHosts } = providerEndpoints(spec.providers);
    await mkdir(join(spec.agentRoot, 'home'), { recursive: true });
    return spec.sandbox.prepare({
      ...cmd,
      readable,
      hidden: [...(spec.hidden ?? []), ...git.hidden],
      writable: [spec.worktree, spec.agentRoot, ...git.writable],
      readOnlyOver: git.readOnlyOver,
      loopbackPorts,
      egressHosts,
      onEgressDenied: spec.onEgressDenied,
    });
  };
}

/** The folder to bind for a program: its install root, else its own folder. */
function programRoot(file: string): string {
  try {
    return installRootOf(file) ?? dirname(realpathSync(file));
  } catch {
    return dirname(resolve(file));
  }
}
