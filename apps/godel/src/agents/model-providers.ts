import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderRef } from '@godel/agents';
import type { GodelConfig } from '@godel/config';
import { loadPlaybook, teamPlaybook } from '@godel/orchestration';
import { SCRIPTED_MODEL_IDENTITY, loadScript, startScriptedModel, type ScriptedModel, type Step, type StepFunction } from '@godel/scripted-model';

/**
 * The model providers agents use. With GODEL_PROVIDERS set, those; without, Godel runs offline on
 * the scripted model (an OpenAI-compatible server on loopback playing scripts) and says so everywhere
 * ("scripted model (offline)"). A team playbook (GODEL_PLAYBOOK) plays Godel's role prompts; scripts
 * from GODEL_SCRIPTS_DIR are chosen by a [script:NAME] marker; any other prompt gets an answer that
 * explains how to configure a real model.
 */
export class ModelProviders {
  private constructor(
    readonly providers: ProviderRef[],
    readonly offline: boolean,
    private readonly server?: ScriptedModel,
  ) {}

  static async resolve(config: GodelConfig): Promise<ModelProviders> {
    if (config.providers.length > 0) return new ModelProviders(config.providers, false);
    const scripts = new Map<string, readonly Step[]>();
    if (config.scriptsDir) {
      for (const f of (await readdir(config.scriptsDir)).filter((n) => /\.(ya?ml|json)$/.test(n))) {
        const book = await loadScript(join(config.scriptsDir, f));
        for (const [name, script] of Object.entries(book.scripts)) scripts.set(name, script);
      }
    }
    const scripted: StepFunction = (r) => {
      const script = r.scriptName ? scripts.get(r.scriptName) : undefined;
      if (script) return script[r.index] ?? { text: `${SCRIPTED_MODEL_IDENTITY}: script "${r.scriptName}" has no more steps.` };
      return {
        text: `${SCRIPTED_MODEL_IDENTITY}: no model provider is configured, so nothing was done. Set GODEL_PROVIDERS (a JSON list of {provider, model, baseUrl?, api?, apiKey?}) to use a real model.`,
      };
    };
    // A team playbook answers Godel's role prompts (coordinator, workers, reviewer); the rest as above.
    const play = config.playbook ? teamPlaybook(await loadPlaybook(config.playbook), scripted) : scripted;
    const server = await startScriptedModel({ models: ['scripted'], script: play });
    return new ModelProviders([{ provider: 'scripted', model: 'scripted', baseUrl: server.url, label: SCRIPTED_MODEL_IDENTITY }], true, server);
  }

  /**
   * The offline scripted model listens on a port of each server; a provider chain stored by another
   * instance names that instance's port. Rewrites such entries to this server's model (real
   * providers are untouched).
   */
  localize(providers: ProviderRef[]): ProviderRef[] {
    if (!this.server) return providers;
    return providers.map((p) => (p.label === SCRIPTED_MODEL_IDENTITY && p.provider === 'scripted' ? { ...p, baseUrl: this.server!.url } : p));
  }

  describe(): { offline: boolean; providers: string[] } {
    return { offline: this.offline, providers: this.providers.map((p) => p.label ?? `${p.provider}/${p.model}`) };
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}
