import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { createGitRunner } from '../git/git-runner';
import { isWorkspaceError } from '../errors/workspace-error';
import { assertValidName, branchName } from '../names';
import { WorktreeManager } from '../worktree-manager';
import type { RepoMirrors } from './repo-mirror';

/** Where an agent's work is kept on the remote: `refs/godel/work/<team>/<agent>` (outside branches and tags). */
export function workRef(team: string, agent: string): string {
  assertValidName(team, 'team');
  assertValidName(agent, 'agent');
  return `refs/godel/work/${team}/${agent}`;
}

export interface PushedWork {
  ref: string;
  /** The snapshot commit: the worktree's files (uncommitted and untracked too), parent the branch tip. */
  snapshot: string;
  /** The branch tip when the snapshot was taken. */
  head: string;
  baseCommit: string;
}

const IDENTITY = ['-c', 'user.name=Godel', '-c', 'user.email=godel@localhost', '-c', 'commit.gpgsign=false'];

/**
 * A commit of everything in `worktree` now (tracked changes, new files; ignored ones and the shared
 * links not), whose parent is HEAD. Nothing in the worktree changes: it is built in a copy of the
 * index. The base commit is written into the message, for a takeover's metadata.
 */
export async function snapshotWorktree(worktree: string, baseCommit: string): Promise<{ snapshot: string; head: string }> {
  const plain = createGitRunner({ env: gitEnv() });
  const run = async (args: string[], env?: Record<string, string>) =>
    (await (env ? createGitRunner({ env: { ...gitEnv(), ...env } }) : plain)(args, { cwd: worktree })).stdout.trim();
  const head = await run(['rev-parse', '--verify', 'HEAD^{commit}']);
  const dir = await mkdtemp(join(tmpdir(), 'godel-snap-'));
  try {
    const index = join(dir, 'index');
    const real = await run(['rev-parse', '--git-path', 'index']);
    await copyFile(isAbsolute(real) ? real : join(worktree, real), index).catch(() => undefined);
    const env = { GIT_INDEX_FILE: index };
    await run(['add', '-A', '--', '.'], env);
    const tree = await run(['write-tree'], env);
    const message = `godel: work in progress\n\nGodel-Base: ${baseCommit}\nGodel-Head: ${head}\n`;
    const snapshot = await run([...IDENTITY, 'commit-tree', tree, '-p', head, '-m', message]);
    return { snapshot, head };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * After an agent's turn: its work (see snapshotWorktree) is pushed to `workRef(team, agent)` on the
 * repository's remote with the server's credentials, so another instance can rebuild the
 * worktree if this one dies (restoreAgentWorktree). Forced: the agent's branch is reset between
 * tasks, and only the agent's current owner pushes.
 */
export async function pushAgentWork(o: { mirrors: RepoMirrors; url: string; worktree: string; team: string; agent: string; baseCommit: string }): Promise<PushedWork> {
  const ref = workRef(o.team, o.agent);
  const { snapshot, head } = await snapshotWorktree(o.worktree, o.baseCommit);
  await o.mirrors.push(o.url, [`+${snapshot}:${ref}`]);
  return { ref, snapshot, head, baseCommit: o.baseCommit };
}

export interface RestoredWorktree {
  path: string;
  branch: string;
  baseCommit: string;
  /** `local`: this instance still had it; `remote`: rebuilt from the pushed work; `fresh`: nothing was pushed, a new worktree at `baseRef`. */
  from: 'local' | 'remote' | 'fresh';
  snapshot?: string;
}

/**
 * The agent's worktree on this instance, built from the repository's mirror: the one already here,
 * else rebuilt from its pushed work (branch at the pushed tip, files as they were at the end of
 * the last turn, the original base commit in the metadata), else a fresh one at `baseRef`.
 */
export async function restoreAgentWorktree(o: {
  mirrors: RepoMirrors;
  url: string;
  worktreesRoot: string;
  team: string;
  agent: string;
  baseRef: string;
  sharedDirs?: string[];
}): Promise<RestoredWorktree> {
  const ref = workRef(o.team, o.agent);
  const mirror = await o.mirrors.ensure(o.url, { fetch: false });
  const wm = new WorktreeManager({ repoPath: mirror, worktreesRoot: o.worktreesRoot, allowBare: true, sharedDirs: o.sharedDirs });
  const here = (await wm.list()).find((w) => w.team === o.team && w.agent === o.agent && !w.folderMissing);
  if (here) return { path: here.path, branch: here.branch ?? branchName(o.team, o.agent), baseCommit: here.metadata?.baseCommit ?? '', from: 'local' };
  await o.mirrors.fetch(o.url); // only when there is something to build: a respawn here costs no fetch
  // Leftovers of an earlier life on this instance (branch, forgotten folder) give way to the pushed work.
  await wm.remove(join(o.worktreesRoot, o.team, o.agent), { force: true, deleteBranch: true }).catch(() => undefined);
  let pushed = true;
  try {
    await o.mirrors.fetchRefs(o.url, [`+${ref}:${ref}`]);
  } catch (err) {
    if (!isWorkspaceError(err, 'workspace.remote_ref_missing')) throw err;
    pushed = false;
  }
  if (!pushed) {
    const wt = await wm.create({ team: o.team, agent: o.agent, baseRef: o.baseRef });
    return { path: wt.path, branch: wt.branch, baseCommit: wt.baseCommit, from: 'fresh' };
  }
  const git = createGitRunner({ env: gitEnv() });
  const run = async (args: string[], cwd: string) => (await git(args, { cwd })).stdout.trim();
  const snapshot = await run(['rev-parse', '--verify', `${ref}^{commit}`], mirror);
  const message = await run(['log', '-1', '--format=%B', snapshot], mirror);
  const head = await run(['rev-parse', '--verify', `${snapshot}^1`], mirror);
  const recorded = /^Godel-Base: ([0-9a-f]{40,64})$/m.exec(message)?.[1];
  const base = recorded && (await git(['cat-file', '-e', `${recorded}^{commit}`], { cwd: mirror }).then(() => true, () => false)) ? recorded : head;
  const wt = await wm.create({ team: o.team, agent: o.agent, baseRef: base, startAt: head });
  try {
    // Files as at the snapshot, the index at the branch tip: uncommitted work is uncommitted again.
    await run(['read-tree', '-u', '--reset', snapshot], wt.path);
    await run(['reset', '-q'], wt.path);
  } catch (err) {
    await wm.remove(wt.path, { force: true, deleteBranch: true }).catch(() => undefined);
    throw err;
  }
  return { path: wt.path, branch: wt.branch, baseCommit: base, from: 'remote', snapshot };
}

/** Local git calls of this module: a fixed environment, not the server's. */
function gitEnv(): Record<string, string> {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: tmpdir(), LANG: 'C', LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
}
