import { mkdir, readFile, realpath, rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { WorkspaceError } from './errors/workspace-error';
import { gitExitCode, gitStderr, type GitRunner } from './git/git-runner';
import { retryOnLock } from './git/lock-retry';
import { assertValidName, branchName } from './names';
import { assertCleanBase, inspectRepo, resolveCommit, type RepoInfo } from './repo-info';
import { assertValidSharedDirs } from './shared-dirs';
import { SingleFlight } from './single-flight';
import { ensureExcluded, gitdirPointer, linkSharedDirs, pathExists } from './worktree-files';
import { METADATA_FILE, type WorktreeMetadata } from './worktree-metadata';
import { slotTools, writeInPlace, type SlotOptions } from './worktree-slot';
import type { CreatedWorktree } from './worktree-types';

/**
 * Adopting a warm-pool slot (issue 13): the slot becomes the agent's worktree — branch
 * `godel/<team>/<agent>` at the agent's base, metadata, shared links, moved to
 * `<worktreesRoot>/<team>/<agent>` like any worktree `WorktreeManager.create` makes. Split in two so
 * a claim waits for as few git processes in a row as possible: `planAdoption` (the repository's side:
 * base commit and clean main tree, two git processes side by side, independent of the slot) and
 * `adoptSlot` (the slot's side: one `git checkout -b`, metadata, a rename).
 */
export interface AdoptSlotRequest extends SlotOptions {
  /** The slot folder (`createSlot`'s path). */
  slot: string;
  worktreesRoot: string;
  team: string;
  agent: string;
  baseRef: string;
  sharedDirs?: readonly string[];
  /** As `WorktreeManagerOptions.requireCleanBase` (default true). */
  requireCleanBase?: boolean;
  /** As `CreateWorktreeRequest.adoptBranchAtStart`: a branch already at the base is used. */
  adoptBranchAtBase?: boolean;
  clock?: () => number;
  /** `planAdoption`'s answer for this request when the caller made it ahead (else it is made here). */
  plan?: AdoptionPlan;
}

/** What `planAdoption` needs: the request without the slot. */
export type AdoptionPlanRequest = Omit<AdoptSlotRequest, 'slot' | 'plan' | 'clock'> & {
  /** The repository as `createSlot` found it (`CreatedSlot.repo`): not looked up again. */
  repo?: RepoInfo;
};

/** The slot-independent facts of an adoption. */
export interface AdoptionPlan {
  mainRoot: string;
  commonDir: string;
  base: string;
  /** `<worktreesRoot>/<team>/<agent>` (real path of the root): free when planned. */
  path: string;
  branch: string;
  /** Shared folders present in the main tree, and those of them the base tracks (never linked). */
  present: string[];
  tracked: Set<string>;
  postCheckoutHook: boolean;
}

/** The agent's worktree, and whether files a process reads at start-up differ from what the slot had. */
export interface AdoptedSlot extends CreatedWorktree {
  readChanged: boolean;
}

/** Read-only repository lookups of plans under way in this process (per repository and question). */
const lookups = new SingleFlight();

/** What a coding agent reads from its working folder when it starts (pi: `.pi/`; context files). */
const STARTUP_FILES = ['.pi', 'AGENTS.md', 'AGENTS.MD', 'CLAUDE.md', 'CLAUDE.MD'];

/**
 * The repository's side of an adoption: `workspace.unknown_ref`, `workspace.dirty_base` (in this
 * order when both) or `workspace.already_exists` (the target folder exists). Touches no slot and
 * makes nothing but the worktrees root.
 */
export async function planAdoption(r: AdoptionPlanRequest): Promise<AdoptionPlan> {
  const { git } = slotTools(r);
  assertValidName(r.team, 'team');
  assertValidName(r.agent, 'agent');
  const sharedDirs = [...(r.sharedDirs ?? [])];
  assertValidSharedDirs(sharedDirs);
  const { root: mainRoot, commonDir } = r.repo ?? (await inspectRepo(git, r.repoPath));
  // Shared with the plans of other claims under way on this repository (a burst of claims runs two
  // git processes, not two each): the answer is at most one lookup older than this claim.
  const [base, clean, root] = await Promise.allSettled([
    lookups.run(`${mainRoot}\0rev\0${r.baseRef}`, () => resolveCommit(git, mainRoot, r.baseRef)),
    (r.requireCleanBase ?? true) ? lookups.run(`${mainRoot}\0clean`, () => assertCleanBase(git, mainRoot)) : Promise.resolve(),
    mkdir(r.worktreesRoot, { recursive: true }).then(() => realpath(r.worktreesRoot)),
  ]);
  for (const x of [base, clean, root]) if (x.status === 'rejected') throw x.reason;
  const baseCommit = (base as PromiseFulfilledResult<string>).value;
  const path = join((root as PromiseFulfilledResult<string>).value, r.team, r.agent);
  if (await pathExists(path)) throw alreadyExists(`${path} already exists`, { path });
  const present: string[] = [];
  for (const d of sharedDirs) if (await pathExists(join(mainRoot, d))) present.push(d);
  const tracked = await lookups.run(`${mainRoot}\0tracked\0${baseCommit}\0${present.join('\0')}`, () => trackedPaths(git, mainRoot, baseCommit, present));
  const postCheckoutHook = await pathExists(join(commonDir, 'hooks', 'post-checkout'));
  return { mainRoot, commonDir, base: baseCommit, path, branch: branchName(r.team, r.agent), present, tracked, postCheckoutHook };
}

/**
 * Turns a slot into the agent's worktree: `workspace.already_exists` when its branch or folder
 * exists (with `details.slotUntouched` when the slot is as it was: it can be used again),
 * `workspace.unknown_ref` / `workspace.dirty_base` as `create`. On any failure after the branch
 * exists it is deleted again; the slot itself is left for the caller to discard.
 */
export async function adoptSlot(r: AdoptSlotRequest): Promise<AdoptedSlot> {
  const { git, retry } = slotTools(r);
  const plan = r.plan ?? (await planAdoption(r));
  const { mainRoot, commonDir, base, path, branch } = plan;
  const slot = resolve(r.slot);
  const adminDir = await gitdirPointer(slot);
  if (!adminDir) throw new WorkspaceError('workspace.not_managed', `${slot} is not a worktree slot`, { slot });
  const previous = (await readFile(join(adminDir, 'HEAD'), 'utf8')).trim();
  // What a process started in the slot read from its folder (pi's `.pi/`, context files) may differ
  // at the base: looked at in the main repository while the slot switches.
  const changed = previous === base ? Promise.resolve(false) : git(['diff', '--quiet', previous, base, '--', ...STARTUP_FILES], { cwd: mainRoot }).then(() => false, (e: unknown) => (gitExitCode(e) === 1 ? true : Promise.reject(e)));
  changed.catch(() => undefined);
  // No repository lock on the way (20 claims at once must not queue behind each other): creating
  // the branch is atomic in git (refused when it exists), the move is a rename of this worktree.
  // One process does what `git branch`, `git symbolic-ref HEAD` and `git reset --hard` did: the
  // switch comes before the branch in git, so a failed checkout leaves no branch behind.
  const made = await retryOnLock(async (attempt) => {
    try {
      await git(['checkout', '-q', '-f', '--no-recurse-submodules', '--no-track', '-b', branch, base, '--'], { cwd: slot });
      return true;
    } catch (err) {
      if (!/already exists/.test(gitStderr(err))) throw err;
      // Ours when an earlier try of this checkout made it before failing on a lock.
      const tip = await branchTip(git, mainRoot, branch);
      // On a first try git refused before switching anything: the slot is as it was (reusable).
      if (!((r.adoptBranchAtBase || attempt > 1) && tip === base)) throw alreadyExists(`branch ${branch} already exists`, { branch, tip, slotUntouched: attempt === 1 });
      return false;
    }
  }, retry);
  try {
    if (!made) {
      await git(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { cwd: slot });
      await retryOnLock(() => git(['reset', '--hard', '--no-recurse-submodules', '--quiet'], { cwd: slot }), retry);
    }
    if (plan.postCheckoutHook) {
      await git(['-c', `core.hooksPath=${join(commonDir, 'hooks')}`, 'hook', 'run', '--ignore-missing', 'post-checkout', '--', previous, base, '1'], { cwd: slot });
    }
    await ensureExcluded(commonDir, plan.present);
    const sharedLinks = await linkSharedDirs(mainRoot, slot, plan.present, plan.tracked);
    const now = new Date((r.clock ?? Date.now)()).toISOString();
    const metadata: WorktreeMetadata = { version: 1, team: r.team, agent: r.agent, branch, baseRef: r.baseRef, baseCommit: base, status: 'active', createdAt: now, updatedAt: now, sharedLinks };
    // In place (same inode): a sandbox started on the slot has this file bound read-only.
    await writeInPlace(join(adminDir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    const readChanged = await changed;
    await mkdir(dirname(path), { recursive: true });
    // What `git worktree move` does (rename, then the admin dir's pointer back), without listing
    // every worktree of the repository under its lock.
    await rename(slot, path);
    await writeInPlace(join(adminDir, 'gitdir'), `${join(path, '.git')}\n`);
    return { path, branch, baseCommit: base, team: r.team, agent: r.agent, sharedLinks, readChanged };
  } catch (err) {
    if (!(await pathExists(path)) && (await branchTip(git, mainRoot, branch).catch(() => undefined)) === base) {
      await git(['update-ref', '--no-deref', 'HEAD', base], { cwd: slot }).catch(() => undefined);
      await git(['branch', '-D', '--', branch], { cwd: mainRoot }).catch(() => undefined);
    }
    throw err;
  }
}

async function branchTip(git: GitRunner, root: string, branch: string): Promise<string | undefined> {
  try {
    return (await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: root })).stdout.trim() || undefined;
  } catch (err) {
    if (gitExitCode(err) === 1) return undefined;
    throw err;
  }
}

async function trackedPaths(git: GitRunner, root: string, commit: string, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const { stdout } = await git(['ls-tree', '--name-only', '-z', commit, '--', ...paths], { cwd: root });
  return new Set(stdout.split('\0').filter((p) => p !== ''));
}

function alreadyExists(message: string, details: Record<string, unknown>): WorkspaceError {
  return new WorkspaceError('workspace.already_exists', message, details);
}
