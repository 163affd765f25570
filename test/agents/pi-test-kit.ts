/**
 * Shared set-up of the integration specs that drive a real `pi` against the scripted model
 * (libs/agents: pi-rpc-process, pi-runtime, the path-guard extension). Test-only, so it lives under test/.
 */
import { locatePiBin, writeModelsJson } from '@godel/agents';
import type { ScriptedModel } from '@godel/scripted-model';

/** The pi binary of node_modules; a missing one fails the spec with what to install. */
export function requirePiBin(from: string): string {
  const bin = locatePiBin(from);
  if (!bin) throw new Error('node_modules/.bin/pi not found; is @mariozechner/pi-coding-agent installed?');
  return bin;
}

export function expectGone(pid: number): void {
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
}

/** A script that writes hello.txt with a tool call, then says so (with token usage). */
export const WRITER_SCRIPT = [
  { toolCalls: [{ name: 'write', arguments: { path: 'hello.txt', content: 'hello from the script\n' } }], usage: { promptTokens: 120, completionTokens: 30 } },
  { text: 'I wrote hello.txt.', usage: { promptTokens: 200, completionTokens: 10 } },
];

/** models.json of an agent dir that points pi at the scripted model (models `scripted` and, optionally, `scripted-b`). */
export async function writeScriptedModels(agentDir: string, model: ScriptedModel, withBackup = true): Promise<void> {
  await writeModelsJson(agentDir, {
    providerName: 'scripted',
    baseUrl: model.url,
    api: 'openai-completions',
    apiKey: 'sk-scripted-offline',
    compat: { supportsDeveloperRole: false, supportsReasoningEffort: false },
    models: [
      { id: 'scripted', name: 'scripted model (offline)', contextWindow: 32_000, maxTokens: 4_096 },
      ...(withBackup ? [{ id: 'scripted-b', name: 'scripted model B (offline)', contextWindow: 32_000, maxTokens: 4_096 }] : []),
    ],
  });
}
