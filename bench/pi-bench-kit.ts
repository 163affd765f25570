/**
 * One worktree and one agent folder for starting real `pi` processes against the scripted model,
 * shared by the benches that time pi starts (bench:sandbox, bench:contention).
 */
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { locatePiBin, writeModelsJson, writeSettingsJson, type ProviderRef } from '@godel/agents';
import { createSampleRepo } from '@godel/testing';

export interface PiBenchSetup {
  piBin: string;
  /** A linked worktree of a sample repository (branch `bench`). */
  wt: string;
  agentRoot: string;
  agentDir: string;
  /** PATH (with node's folder) and HOME: the explicit environment of every pi. */
  env: Record<string, string>;
  providers: ProviderRef[];
}

/** Under `root`: a sample repository with a worktree, and an agent folder whose pi answers from `modelUrl`. */
export async function setUpPiBench(root: string, modelUrl: string): Promise<PiBenchSetup> {
  const piBin = locatePiBin(__dirname) ?? locatePiBin(process.cwd());
  if (!piBin) throw new Error('pi not found (npm ci installs it)');
  const repo = await createSampleRepo(root);
  const wt = join(root, 'wt');
  execFileSync('git', ['worktree', 'add', '-q', '-b', 'bench', wt], { cwd: repo });
  const agentRoot = join(root, 'agent');
  const agentDir = join(agentRoot, 'pi');
  await mkdir(join(agentRoot, 'home'), { recursive: true });
  await writeModelsJson(agentDir, {
    providerName: 'local',
    baseUrl: modelUrl,
    api: 'openai-completions',
    apiKey: 'sk-none',
    compat: { supportsDeveloperRole: false, supportsReasoningEffort: false },
    models: [{ id: 'scripted', input: ['text'], contextWindow: 32000, maxTokens: 4096 }],
  });
  await writeSettingsJson(agentDir, { retry: { enabled: false, provider: { maxRetries: 0 } } });
  const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: join(agentRoot, 'home') };
  return { piBin, wt, agentRoot, agentDir, env, providers: [{ provider: 'local', model: 'scripted', baseUrl: modelUrl }] };
}
