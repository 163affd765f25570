import type { StoredSession } from '@godel/persistence';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { toolsFor, type AgentState, type StartAgent } from './agent-state';
import type { AgentTurn } from './agent-turn';
import { chainFor } from './provider-chain';
import { cutSession } from './session-cut';
import { hasErrorCode } from '@godel/actors';
import { KeyedMutex } from '@godel/workspace';
import { isUrlRepo, localWorktree, worktreesOf } from './agent-repo';
import { processSpec, spawn } from './agent-process';
import { fail } from './agent-end';
import { prompt } from './agent-prompt';

/** `agent.start`: worktree (existing, URL clone, warm-pool slot or new), admission, then the process. */
export async function start(t: AgentTurn, s: AgentState, p: StartAgent): Promise<AgentState> {
  const { deps, ctx } = t;
  if (s.status !== 'new') return s;
  s.status = 'preparing';
  s.repo = p.repo;
  s.role = p.role ?? 'worker';
  s.runtime = p.runtime ?? { kind: 'pi' };
  s.tools = toolsFor(s.role, p.tools);
  s.providers = chainFor(p.providers, p.tier);
  s.budget = p.budget ?? {};
  s.teamBudget = p.teamBudget;
  s.correlationId = p.correlationId ?? ctx.envelope.correlationId;
  s.owner = p.owner;
  const t0 = Date.now();
  t.emit(s, 'agent.preparing', { repo: p.repo, providers: s.providers.map((x) => x.label ?? `${x.provider}/${x.model}`) });
  let created = false;
  // The stored session (none for a new agent unless forked: that one is saved below) is read
  // from the store while the worktree is made.
  const stored = p.forkOf ? undefined : deps.sessions.load(t.self);
  stored?.catch(() => undefined);
  try {
    let baseRef = p.baseRef ?? 'HEAD';
    if (p.forkOf) {
      const parent = await deps.sessions.load(p.forkOf.agent);
      if (!parent) throw new Error(`cannot fork ${p.forkOf.agent}: it has no stored session`);
      const cut = cutSession(parent.content, p.forkOf.entry);
      s.parent = { agent: p.forkOf.agent, entry: cut.entry };
      baseRef = parent.baseCommit ?? baseRef;
      await deps.sessions.save({ agent: t.self, team: s.team, fileName: `fork-${s.name}.jsonl`, content: cut.content, parentAgent: p.forkOf.agent, forkedFromEntry: cut.entry, baseCommit: parent.baseCommit });
    }
    const { wt, existed } = await worktreeSteps.run(`${p.repo}\0${s.team}\0${s.name}`, () => startWorktree(t, s, p, baseRef));
    created = !existed;
    s.worktree = wt.path;
    s.branch = wt.branch;
    s.baseCommit = wt.baseCommit || s.baseCommit;
    s.status = 'starting';
    // Admission control: when the instance cannot start another process now, the start waits in
    // line (committed as `queue`); the host tells `agent.admitted` when its turn comes.
    if (s.runtime.kind === 'pi') {
      const admission = deps.host.admit(t.self, { team: s.team, correlationId: s.correlationId });
      if (!admission.admitted) {
        s.queue = { position: admission.position, since: t0, prompt: p.prompt, promptId: p.promptId };
        ctx.scheduleReminder('heartbeat', t.heartbeatMs);
        return s;
      }
    }
  } catch (err) {
    // The store is down (PostgreSQL cut, restarting): not the start's fault. Thrown, the runtime waits
    // for the store and runs this turn again (it is idempotent: the worktree is found, the spawn is once).
    if (hasErrorCode(err, 'storage.unavailable')) throw err;
    return fail(t, s, startFailure(err), created || !!s.worktree);
  }
  return launch(t, s, t0, p.prompt, p.promptId, stored);
}

/**
 * One start of an agent at a time per repository in this process: a start re-run while an earlier
 * attempt still works (its shard was lost and taken back: the old turn cannot be stopped, only
 * fenced) waits for that attempt's worktree and then finds it, instead of racing it on the branch.
 */
const worktreeSteps = new KeyedMutex();

/** The agent's worktree: its own from an earlier attempt, a URL repository's, a warm-pool slot or a new one. */
async function startWorktree(t: AgentTurn, s: AgentState, p: StartAgent, baseRef: string): Promise<{ wt: { path: string; branch: string; baseCommit: string }; existed: boolean }> {
  const { deps } = t;
  // Idempotent: a retried turn finds the worktree its first attempt made. A path repository's is
  // `<worktreesRoot>/<team>/<name>`: when that folder is absent there is none, and listing every
  // worktree of the repository (a git process plus a metadata read per worktree) is skipped.
  const mayExist = isUrlRepo(deps, p.repo) || existsSync(join(deps.worktreesRoot, s.team, s.name));
  const wm = await worktreesOf(deps, p.repo);
  const existing = mayExist ? (await wm.list()).find((w) => w.team === s.team && w.agent === s.name && !w.folderMissing) : undefined;
  if (existing) return { wt: { path: existing.path, branch: existing.branch ?? '', baseCommit: existing.metadata?.baseCommit ?? '' }, existed: true };
  if (isUrlRepo(deps, p.repo)) {
    await localWorktree(deps, s, baseRef); // issue 12: a URL repository
    return { wt: { path: s.worktree!, branch: s.branch!, baseCommit: s.baseCommit ?? '' }, existed: false };
  }
  // Warm pool (issue 13): a pre-started process whose slot becomes this worktree, else a cold start (local repositories).
  const pooled = p.forkOf || s.runtime!.kind !== 'pi' ? undefined : await deps.host.claim(t.self, { ...processSpec(deps, s), repo: p.repo, role: s.role!, team: s.team, name: s.name, baseRef, worktreesRoot: deps.worktreesRoot, sharedDirs: ['node_modules', '.venv', 'vendor'], correlationId: s.correlationId });
  return { wt: pooled ?? (await wm.create({ team: s.team, agent: s.name, baseRef, adoptBranchAtStart: true })), existed: false };
}

/** Spawns the process of a starting agent (its start slot taken), then its first prompt. */
async function launch(t: AgentTurn, s: AgentState, t0: number, first: string | undefined, firstId: string | undefined, stored?: Promise<StoredSession | undefined>): Promise<AgentState> {
  const queuedMs = s.queue ? Date.now() - s.queue.since : undefined;
  s.queue = undefined;
  try {
    const t1 = Date.now();
    await spawn(t, s, stored);
    s.status = 'idle';
    t.emit(s, 'agent.started', { worktree: s.worktree, branch: s.branch, baseCommit: s.baseCommit, spawnMs: Date.now() - t0, launchMs: Date.now() - t1, queuedMs });
  } catch (err) {
    if (hasErrorCode(err, 'storage.unavailable')) throw err; // as in startAgent: waited out by the runtime
    return fail(t, s, startFailure(err), !!s.worktree);
  }
  t.ctx.scheduleReminder('heartbeat', t.heartbeatMs);
  t.notify(s, 'started');
  if (first) return prompt(t, s, first, firstId);
  return s;
}

/** A queued start's turn came (or its admission was lost with an instance: it waits again in spawn). */
export async function admitted(t: AgentTurn, s: AgentState): Promise<AgentState> {
  if (s.status !== 'starting' || !s.queue) {
    // Stopped (or started otherwise) meanwhile: the slot goes back.
    if (!t.deps.host.has(t.self)) await t.deps.host.stop(t.self);
    return s;
  }
  return launch(t, s, s.queue.since, s.queue.prompt, s.queue.promptId);
}

function startFailure(err: unknown): string {
  return `${(err as { code?: string }).code ?? 'agent.start_failed'}: ${(err as Error).message}`;
}
