import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { GodelError } from '@godel/actors';
import type { ProviderRef } from '@godel/agents';
import { builtinWorkflows } from './builtin-workflows';
import { INTENT_LIMITS } from './intent-schema';
import { looksLikeUrl, type RepoMirrors } from '@godel/workspace';
import { isGitRepo, revParse } from './refinery/git-ops';
import { readRepoConfig } from './repo-config';
import { teamAddress } from './team/team-actor';
import { DEFAULT_SETTINGS, type StartTeam, type TeamSettings } from './team/team-state';
import { parseWorkflow, type WorkflowTemplate } from './workflow-template';

/** An intent request that cannot start; nothing was started or left behind. */
export class IntentInvalidError extends GodelError {
  readonly code = 'intent.invalid';
  readonly retryable = false;
}

export interface IntentRequest {
  intent: string;
  repo: string;
  target?: string;
  verify?: string;
  /** A built-in workflow name, or a path to a workflow YAML file. */
  workflow?: string;
  /** A workflow's YAML text (the API takes it inline). */
  workflowYaml?: string;
  budget?: { tokens?: number; costUsd?: number };
  concurrency?: number;
  /** The target's verification may already be red: no fix task is required (`--allow-red-base`). */
  allowRedBase?: boolean;
  settings?: Partial<TeamSettings>;
}

export interface PreparedIntent {
  team: string;
  start: StartTeam;
  /** What will run: the team and, with a workflow, the tasks. */
  plan: { team: string; repo: string; target: string; verify: string | null; members: string[]; tasks: Array<{ id: string; title: string; dependsOn: string[]; role: string }> | 'decided by the coordinator' };
}

export const MAX_INTENT_CHARS = INTENT_LIMITS.intentChars;

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 24)
      .replace(/-+$/, '') || 'intent'
  );
}

/** Resolves a workflow by built-in name, file path or inline YAML; errors carry line and field. */
export function resolveWorkflow(ref: { workflow?: string; workflowYaml?: string }): WorkflowTemplate | undefined {
  if (ref.workflowYaml !== undefined) return parseWorkflow(ref.workflowYaml, '<request>');
  if (!ref.workflow) return undefined;
  const builtin = builtinWorkflows().find((w) => w.name === ref.workflow);
  if (builtin) return builtin;
  if (!existsSync(ref.workflow)) throw new IntentInvalidError(`unknown workflow "${ref.workflow}": not a built-in (${builtinWorkflows().map((w) => w.name).join(', ')}) and not a file`);
  return parseWorkflow(readWorkflowFile(ref.workflow), ref.workflow);
}

/** Largest workflow file read by path. */
export const MAX_WORKFLOW_FILE_BYTES = 1024 * 1024;

/**
 * A workflow file's text: regular files only, at most MAX_WORKFLOW_FILE_BYTES. Opened non-blocking
 * and checked on the open descriptor, so a device (`/dev/zero`), a FIFO or a file swapped for one
 * between the check and the read never blocks or fills memory.
 */
function readWorkflowFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw new IntentInvalidError(`cannot open workflow file ${path}: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new IntentInvalidError(`workflow ${path} is not a regular file`);
    if (st.size > MAX_WORKFLOW_FILE_BYTES) throw new IntentInvalidError(`workflow file ${path} is larger than ${MAX_WORKFLOW_FILE_BYTES} bytes`);
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) break;
      n += r;
    }
    if (n > st.size) throw new IntentInvalidError(`workflow file ${path} grew while being read`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks an intent request before anything starts — empty intent, a path that is not a git
 * repository, a missing target branch, an invalid workflow, a zero budget — and prepares the
 * team's start message. Pure preparation: it creates nothing (a repository URL's mirror on this
 * instance is created or fetched: a cache, and the check that the remote answers).
 */
export async function prepareIntent(req: IntentRequest, providers: ProviderRef[], mirrors?: RepoMirrors): Promise<PreparedIntent> {
  const intent = typeof req.intent === 'string' ? req.intent.trim() : '';
  if (!intent) throw new IntentInvalidError('the intent is empty: say what the team should do, e.g. godel do "add a /health endpoint" --repo .');
  if (intent.length > MAX_INTENT_CHARS) throw new IntentInvalidError(`the intent is longer than ${MAX_INTENT_CHARS} characters`);
  if (typeof req.repo !== 'string' || req.repo === '') throw new IntentInvalidError('repo is required: the path of a git repository');
  const target = req.target ?? 'main';
  // A URL (issue 12): this instance's mirror, brought up to date — an unreachable remote or refused
  // credentials are typed errors (workspace.unreachable / auth_failed) and nothing starts.
  const { repo, local } = looksLikeUrl(req.repo) ? await mirrorOf(req.repo, mirrors) : await localRepo(req.repo);
  if (!(await revParse(local, `refs/heads/${target}`))) throw new IntentInvalidError(`${repo} has no branch "${target}" (pass --target with an existing branch)`);
  const budget = req.budget;
  if (budget && [budget.tokens, budget.costUsd].some((v) => v !== undefined && !(typeof v === 'number' && v > 0))) {
    throw new IntentInvalidError('the budget must be more than zero (tokens > 0, costUsd > 0), or left out');
  }
  const concurrency = req.concurrency ?? DEFAULT_SETTINGS.concurrency;
  const { min, max } = INTENT_LIMITS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < min || concurrency > max) throw new IntentInvalidError(`concurrency must be a whole number from ${min} to ${max}`);
  if (req.verify !== undefined && (typeof req.verify !== 'string' || req.verify.trim() === '' || req.verify.length > INTENT_LIMITS.verifyChars)) {
    throw new IntentInvalidError(`verify must be a shell command of 1-${INTENT_LIMITS.verifyChars} characters`);
  }
  const workflow = resolveWorkflow(req);
  if (providers.length === 0) throw new IntentInvalidError('no model providers are configured (set GODEL_PROVIDERS, or run without it for the offline scripted model)');
  if (budget?.costUsd !== undefined) {
    // A dollar budget over a provider without a price could never be reached: refused, not ignored.
    const unpriced = providers.filter((p) => !p.cost);
    if (unpriced.length > 0) {
      const names = unpriced.map((p) => `${p.provider}/${p.model}`).join(', ');
      throw new IntentInvalidError(`a dollar budget needs prices, and provider ${names} has none: add "cost": {"input": USD, "output": USD} (per million tokens) to it in GODEL_PROVIDERS, or use a token budget (--budget-tokens)`);
    }
  }
  const team = `${slug(intent)}-${randomBytes(3).toString('hex')}`;
  // The request wins, then the repository's own .godel.yaml, then the workflow's default.
  const verify = req.verify ?? (await readRepoConfig(local, `refs/heads/${target}`)).verify ?? workflow?.verify;
  const start: StartTeam = {
    intent,
    intentId: `intent-${team}`,
    repo,
    target,
    verify,
    workflow: workflow ? { name: workflow.name, tasks: workflow.tasks } : undefined,
    budget,
    providers,
    settings: { ...req.settings, concurrency, ...(req.allowRedBase !== undefined ? { allowRedBase: req.allowRedBase } : {}) },
  };
  const workers = workflow ? Math.min(concurrency, Math.max(1, workflow.tasks.filter((t) => t.role === 'worker').length)) : concurrency;
  return {
    team,
    start,
    plan: {
      team,
      repo,
      target,
      verify: verify ?? null,
      members: [...(workflow ? [] : ['coordinator']), 'reviewer-1', ...Array.from({ length: workers }, (_, i) => `worker-${i + 1}`)],
      tasks: workflow ? workflow.tasks.map((t) => ({ id: t.id, title: t.title.replaceAll('{{intent}}', intent), dependsOn: t.dependsOn, role: t.role })) : 'decided by the coordinator',
    },
  };
}

async function localRepo(path: string): Promise<{ repo: string; local: string }> {
  const repo = isAbsolute(path) ? path : resolve(path);
  if (!existsSync(repo) || !statSync(repo).isDirectory()) throw new IntentInvalidError(`${repo} is not a directory`);
  if (!(await isGitRepo(repo))) throw new IntentInvalidError(`${repo} is not a git repository (run \`git init\` there, or pass --repo with a repository)`);
  return { repo, local: repo };
}

async function mirrorOf(url: string, mirrors: RepoMirrors | undefined): Promise<{ repo: string; local: string }> {
  if (!mirrors) throw new IntentInvalidError(`${url}: repository URLs need the server (its mirrors and git credentials); use a local path here`);
  return { repo: url, local: await mirrors.ensure(url) };
}

/** Prepares an intent and starts its team (`team.start`); resolves once the team has started. */
export async function startIntent(
  ask: (to: string, type: string, payload: unknown, timeoutMs: number) => Promise<unknown>,
  req: IntentRequest,
  providers: ProviderRef[],
): Promise<PreparedIntent> {
  const prepared = await prepareIntent(req, providers);
  await ask(teamAddress(prepared.team), 'team.start', prepared.start, 60_000);
  return prepared;
}
