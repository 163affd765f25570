import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeModelsJson, writeSettingsJson } from '../pi/agent-dir';
import type { ProviderRef } from './provider-chain';

/** The files of one agent's pi folder: its custom providers (models.json) and settings. */
export async function prepareAgentDir(agentDir: string, providers: readonly ProviderRef[]): Promise<void> {
  for (const p of providers) {
    if (!p.baseUrl) continue;
    await writeModelsJson(agentDir, {
      providerName: p.provider,
      baseUrl: p.baseUrl,
      api: p.api ?? 'openai-completions',
      apiKey: p.apiKey ?? 'sk-none',
      compat: { supportsDeveloperRole: false, supportsReasoningEffort: false },
      models: [{ id: p.model, name: p.label ?? p.model, input: ['text'], contextWindow: 32000, maxTokens: 4096, cost: p.cost ? { input: p.cost.input, output: p.cost.output, cacheRead: 0, cacheWrite: 0 } : undefined }],
    });
  }
  // Failures must reach Godel (provider failover), not be retried silently inside pi.
  await writeSettingsJson(agentDir, { retry: { enabled: false, provider: { maxRetries: 0 } } });
}

/**
 * pi's `--session` for a start: the given session (written unless a newer local copy exists), else
 * the latest local one. Either way its header names `cwd` (pi refuses a session whose folder is gone).
 */
export async function sessionArgs(sessionDir: string, cwd: string, session?: { fileName: string; content: string }): Promise<string[]> {
  let file: string | undefined;
  if (session) {
    file = join(sessionDir, basename(session.fileName));
    // A local file newer than the stored copy (same instance, turn not finished) wins.
    const local = await stat(file).catch(() => undefined);
    if (!local || local.size < Buffer.byteLength(session.content)) await writeFile(file, withCwd(session.content, cwd));
  } else {
    file = await latestSessionFile(sessionDir);
  }
  if (!file) return [];
  const content = await readFile(file, 'utf8');
  const fixed = withCwd(content, cwd);
  if (fixed !== content) await writeFile(file, fixed);
  return ['--session', file];
}

/** The most recently written session file in a folder (pi names them <time>_<uuid>.jsonl). */
export async function latestSessionFile(dir: string): Promise<string | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.jsonl'));
  let best: { path: string; mtime: number } | undefined;
  for (const f of files) {
    const path = join(dir, f);
    const st = await stat(path);
    if (!best || st.mtimeMs > best.mtime) best = { path, mtime: st.mtimeMs };
  }
  return best?.path;
}

/**
 * A session's header records the folder it ran in, and pi works there when it resumes: a session
 * resumed in another worktree (a fork, or a pooled process's slot) must point at that worktree.
 */
export function withCwd(content: string, cwd: string): string {
  const nl = content.indexOf('\n');
  const first = nl < 0 ? content : content.slice(0, nl);
  try {
    const header = JSON.parse(first) as { type?: string; cwd?: string };
    if (header.type !== 'session' || header.cwd === cwd) return content;
    return JSON.stringify({ ...header, cwd }) + (nl < 0 ? '' : content.slice(nl));
  } catch {
    return content;
  }
}
