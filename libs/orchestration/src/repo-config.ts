import { parse as parseYaml } from 'yaml';
import { git } from './refinery/git-ops';

/** `.godel.yaml` at the root of a repository's target branch: how Godel treats that repository. */
export interface RepoConfig {
  /** The verification the refinery runs on every merge (e.g. `npm test`). */
  verify?: string;
  /** Autonomic maintenance: when the target's verification turns red, a team forms to fix it. */
  maintenance?: boolean;
}

export const REPO_CONFIG_FILE = '.godel.yaml';

/** Reads `.godel.yaml` from `ref` (not the working tree: what is committed is what counts). */
export async function readRepoConfig(repo: string, ref: string): Promise<RepoConfig> {
  let text: string;
  try {
    text = await git(repo, 'show', `${ref}:${REPO_CONFIG_FILE}`);
  } catch {
    return {};
  }
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (err) {
    throw new Error(`${repo}/${REPO_CONFIG_FILE} at ${ref} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof v !== 'object' || v === null) return {};
  const o = v as Record<string, unknown>;
  return {
    verify: typeof o.verify === 'string' && o.verify.trim() ? o.verify : undefined,
    maintenance: o.maintenance === true,
  };
}
