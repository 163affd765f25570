import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';

/** One model of a custom provider, as pi's models.json describes it. */
export interface PiModelConfig {
  id: string;
  name?: string;
  reasoning?: boolean;
  input?: Array<'text' | 'image'>;
  contextWindow?: number;
  maxTokens?: number;
  /** Dollars per million tokens. */
  cost?: { input: number; output: number; cacheRead: number; cacheWrite: number };
  compat?: Record<string, unknown>;
}

export interface PiProviderConfig {
  providerName: string;
  /** e.g. `http://127.0.0.1:8787/v1` */
  baseUrl: string;
  api: 'openai-completions' | 'openai-responses' | 'anthropic-messages' | 'google-generative-ai';
  /**
   * pi resolves this value itself: the name of an environment variable if one by that name is set
   * (prefer this: pass the key in `baseEnv`, keep it off disk), a literal key otherwise, and a value
   * starting with `!` is run as a shell command.
   */
  apiKey: string;
  models: PiModelConfig[];
  /** Provider-level compatibility switches, e.g. `{ supportsDeveloperRole: false }`. */
  compat?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * Adds (or replaces) one provider in `<agentDir>/models.json`, keeping the others. Creates the
 * directory. The file is replaced atomically so a starting pi never reads half of it.
 */
export async function writeModelsJson(agentDir: string, provider: PiProviderConfig): Promise<string> {
  const path = join(agentDir, 'models.json');
  const current = await readJsonObject(path);
  const providers = isRecord(current.providers) ? current.providers : {};
  const { providerName, ...config } = provider;
  providers[providerName] = dropUndefined(config);
  await writeJsonAtomically(path, { ...current, providers });
  return path;
}

/**
 * pi's settings (`<agentDir>/settings.json`), the part Godel sets. Two retry layers exist:
 * `retry.provider.maxRetries` is the HTTP client's silent retry (OpenAI SDK default: 2, no event),
 * `retry.enabled/maxRetries/baseDelayMs` is pi's own retry, visible as auto_retry_* events.
 */
export interface PiSettings {
  retry?: {
    enabled?: boolean;
    maxRetries?: number;
    baseDelayMs?: number;
    provider?: { timeoutMs?: number; maxRetries?: number; maxRetryDelayMs?: number };
  };
  [key: string]: unknown;
}

/**
 * Deep-merges `patch` into `<agentDir>/settings.json`. Note that pi writes this file too: the RPC
 * commands `set_auto_retry` and `set_model` persist their choice there.
 */
export async function writeSettingsJson(agentDir: string, patch: PiSettings): Promise<string> {
  const path = join(agentDir, 'settings.json');
  await writeJsonAtomically(path, deepMerge(await readJsonObject(path), patch));
  return path;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    out[key] = isRecord(value) && isRecord(out[key]) ? deepMerge(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const value: unknown = JSON.parse(text);
  if (!isRecord(value)) throw new Error(`${path} does not hold a JSON object`);
  return value;
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
