import { tmpdir } from 'node:os';
import { delimiter, isAbsolute } from 'node:path';
import type { ProviderConfig } from './config-types';

/** Parsers of single environment values: each throws ConfigError (config.invalid) naming the variable. */

export function secret(env: Env, key: string): string | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 32) throw new ConfigError(`${key} must be at least 32 characters (a random secret), got ${raw.length}`);
  return raw;
}

export function providers(env: Env): ProviderConfig[] {
  const raw = env.GODEL_PROVIDERS;
  if (raw === undefined || raw.trim() === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ConfigError('GODEL_PROVIDERS must be a JSON list of {provider, model, baseUrl?, api?, apiKey?, tier?, cost?}');
  }
  if (!Array.isArray(v)) throw new ConfigError('GODEL_PROVIDERS must be a JSON list');
  return v.map((p, i) => {
    if (typeof p !== 'object' || p === null || typeof p.provider !== 'string' || typeof p.model !== 'string') {
      throw new ConfigError(`GODEL_PROVIDERS[${i}] needs string fields provider and model`);
    }
    return p as ProviderConfig;
  });
}

export class ConfigError extends Error {
  readonly code = 'config.invalid';
  readonly retryable = false;
}

export type Env = Record<string, string | undefined>;

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}

export function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (['on', 'true', '1'].includes(raw)) return true;
  if (['off', 'false', '0'].includes(raw)) return false;
  throw new ConfigError(`${key} must be on|off, got "${raw}"`);
}

export function sandboxMode(raw: string | undefined): 'bwrap' | 'off' {
  if (raw === undefined || raw === '' || raw === 'on' || raw === 'bwrap') return 'bwrap';
  if (raw === 'off') return 'off';
  throw new ConfigError(`GODEL_SANDBOX must be on|bwrap|off, got "${raw}"`);
}

export function name(env: Env, key: string, fallback: string): string {
  const raw = env[key] ?? fallback;
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(raw)) {
    throw new ConfigError(`${key} must match [a-z][a-z0-9_]{0,40}, got "${raw}"`);
  }
  return raw;
}

export function repoRoots(env: Env): string[] {
  const raw = env.GODEL_REPO_ROOTS;
  if (raw === undefined || raw.trim() === '') return [env.HOME, tmpdir()].filter((d): d is string => !!d && isAbsolute(d));
  const dirs = raw.split(delimiter).map((d) => d.trim()).filter(Boolean);
  for (const d of dirs) if (!isAbsolute(d)) throw new ConfigError(`GODEL_REPO_ROOTS entries must be absolute paths, got "${d}"`);
  return dirs;
}

export function ratio(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`${key} must be a number in [0, 1], got "${raw}"`);
  return n;
}

export function otlpEndpoint(env: Env): string | undefined {
  const raw = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (raw === undefined || raw === '') return undefined;
  if (!/^https?:\/\/[^\s/]+/.test(raw)) throw new ConfigError(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://otel-collector:4318, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

export function host(env: Env): string {
  const raw = env.GODEL_HOST;
  if (raw === undefined || raw === '') return '127.0.0.1';
  // An IPv4/IPv6 literal or a host name; no scheme, port or path.
  if (!/^(?:[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$/.test(raw)) throw new ConfigError(`GODEL_HOST must be an address such as 0.0.0.0, :: or 127.0.0.1, got "${raw}"`);
  return raw;
}

export function apiUrl(env: Env): string {
  const raw = env.GODEL_URL;
  if (raw === undefined || raw === '') return `http://127.0.0.1:${int(env, 'GODEL_PORT', 7373, 0, 65535) || 7373}`;
  if (!/^https?:\/\/[^\s/]+/.test(raw)) throw new ConfigError(`GODEL_URL must be an http(s) URL such as http://127.0.0.1:7373, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}
