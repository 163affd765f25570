import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { redactText } from '@godel/persistence';
import { Sandbox, gitMounts } from '@godel/sandbox';
import { createGitRunner, linkSharedDirs } from '@godel/workspace';
import type { MergeOutcome, MergeRequest } from './merge-types';

const runner = createGitRunner({ timeoutMs: 120_000 });
/** Commits made by Godel itself (the remainder of a worker's changes, rebases) carry this identity. */
const IDENTITY = ['-c', 'user.name=Godel', '-c', 'user.email=godel@localhost', '-c', 'commit.gpgsign=false'];

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await runner([...IDENTITY, ...args], { cwd })).stdout.trim();
}

async function gitOk(cwd: string, ...args: string[]): Promise<boolean> {
  try {
    await runner([...IDENTITY, ...args], { cwd });
    return true;
  } catch {
    return false;
  }
}

export async function isGitRepo(path: string): Promise<boolean> {
  return gitOk(path, 'rev-parse', '--git-dir');
}

export async function revParse(cwd: string, ref: string): Promise<string | undefined> {
  try {
    return await git(cwd, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    return undefined;
  }
}

/** Commits whatever the agent left uncommitted in its worktree; returns HEAD afterwards. */
export async function commitAll(worktree: string, message: string): Promise<string> {
  await git(worktree, 'add', '-A');
  if (!(await gitOk(worktree, 'diff', '--cached', '--quiet'))) await git(worktree, 'commit', '-q', '--no-verify', '-m', message);
  return git(worktree, 'rev-parse', 'HEAD');
}

/** Puts a worktree (and its branch) at `commit`, dropping local changes; ignored files (shared folders) stay. */
export async function resetWorktree(worktree: string, commit: string): Promise<void> {
  await git(worktree, 'reset', '-q', '--hard', commit);
  await git(worktree, 'clean', '-q', '-fd');
}

/** `git diff base..head`, cut to `maxChars`. */
export async function diffBetween(cwd: string, base: string, head: string, maxChars = 48_000): Promise<{ diff: string; truncated: boolean; files: string[] }> {
  const diff = await git(cwd, 'diff', '--no-color', `${base}..${head}`);
  const files = (await git(cwd, 'diff', '--name-only', `${base}..${head}`)).split('\n').filter(Boolean);
  return { diff: diff.slice(0, maxChars), truncated: diff.length > maxChars, files };
}

/** Keeps a commit reachable under `ref` (e.g. refs/godel/attempts/...), so no attempt is lost. */
export async function keepRef(repo: string, ref: string, commit: string): Promise<void> {
  await git(repo, 'update-ref', ref, commit);
}

/** Whether two commits hold the same files (a worker that committed and reverted changed nothing). */
export async function sameTree(cwd: string, a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  return (await git(cwd, 'rev-parse', `${a}^{tree}`)) === (await git(cwd, 'rev-parse', `${b}^{tree}`));
}

/** Commits in `from..to` (what a merge really added to the target). */
export async function countCommits(cwd: string, from: string, to: string): Promise<number> {
  return Number(await git(cwd, 'rev-list', '--count', `${from}..${to}`));
}

/** Deletes every ref under `prefix` (e.g. a task's `refs/godel/attempts/<team>/<task>/`); returns how many. */
export async function deleteRefs(repo: string, prefix: string): Promise<number> {
  const refs = (await git(repo, 'for-each-ref', '--format=%(refname)', prefix)).split('\n').filter(Boolean);
  for (const ref of refs) await gitOk(repo, 'update-ref', '-d', ref);
  return refs.length;
}

export async function isAncestor(repo: string, commit: string, of: string): Promise<boolean> {
  return gitOk(repo, 'merge-base', '--is-ancestor', commit, of);
}

/** The worktree that has `branch` checked out, if any (a user's main checkout usually has the target). */
export async function checkedOutAt(repo: string, branch: string): Promise<string | undefined> {
  const out = await git(repo, 'worktree', 'list', '--porcelain');
  let path: string | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) path = line.slice('worktree '.length);
    if (line === `branch refs/heads/${branch}`) return path;
  }
  return undefined;
}

export interface CommandResult {
  ok: boolean;
  code: number | null;
  timedOut: boolean;
  /** The last part of stdout+stderr, interleaved as written. */
  output: string;
  ms: number;
}

export interface RunCommandOptions {
  /** How much of the output to keep (the end). Default 8000 characters. */
  keepChars?: number;
  /** The OS sandbox; default bubblewrap (fails closed without it). */
  sandbox?: Sandbox;
  /** Folders outside `cwd` the command may read (the repository's shared node_modules...). */
  readRoots?: string[];
}

const VERIFY_PATH = `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
const defaultSandbox = new Sandbox();

/**
 * Runs a shell command (the repository's verification: agent-written code) in `cwd`, inside the
 * OS sandbox: it sees `cwd` (read-write), git's metadata read-only, `readRoots` read-only and a
 * scratch home, with no network and an environment of PATH, HOME, LANG and CI only. Its output is
 * redacted (API keys, tokens...) before it is returned, i.e. before any prompt or event. The whole
 * process group dies on timeout. A missing sandbox rejects with `sandbox.unavailable`.
 */
export async function runCommand(command: string, cwd: string, timeoutMs: number, options: number | RunCommandOptions = {}): Promise<CommandResult> {
  const o: RunCommandOptions = typeof options === 'number' ? { keepChars: options } : options;
  const keepChars = o.keepChars ?? 8000;
  const home = await mkdtemp(join(tmpdir(), 'godel-verify-home-'));
  const sandbox = o.sandbox ?? defaultSandbox;
  const git = sandbox.mode === 'off' ? undefined : gitMounts(cwd, false);
  const cmd = await sandbox
    .prepare({
      file: '/bin/sh',
      args: ['-c', command],
      cwd,
      env: { PATH: VERIFY_PATH, HOME: home, LANG: 'C.UTF-8', CI: '1' },
      writable: [cwd, home],
      readable: [...(git?.readable ?? []), ...(o.readRoots ?? [])],
      hidden: git?.hidden,
      readOnlyOver: git?.readOnlyOver,
    })
    .catch(async (err: unknown) => {
      await rm(home, { recursive: true, force: true });
      throw err;
    });
  const t0 = Date.now();
  const result = await new Promise<CommandResult>((resolve) => {
    const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const add = (b: Buffer) => {
      out += b.toString('utf8');
      if (out.length > keepChars * 2) out = out.slice(-keepChars);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    const done = (code: number | null) => {
      clearTimeout(timer);
      resolve({ ok: code === 0 && !timedOut, code, timedOut, output: redactText(out.slice(-keepChars)), ms: Date.now() - t0 });
    };
    child.on('error', (err) => {
      out += String(err);
      done(null);
    });
    child.on('close', (code) => done(code));
  });
  await cmd.close();
  await rm(home, { recursive: true, force: true });
  return result;
}

export type { MergeOutcome, MergeRequest } from './merge-types';

/**
 * One merge: rebase the approved commit onto the target's tip in a scratch worktree, run the
 * verification there, then fast-forward the target. The fast-forward is a compare-and-swap (the
 * target must still be at the tip the rebase used), so even two refineries racing cannot lose a
 * commit: the loser reports `blocked` and is retried.
 */
export async function mergeToTarget(req: MergeRequest): Promise<MergeOutcome> {
  const tip = await revParse(req.repo, `refs/heads/${req.target}`);
  if (!tip) return { kind: 'blocked', detail: `target branch ${req.target} does not exist in ${req.repo}` };
  if (await isAncestor(req.repo, req.commit, tip)) return { kind: 'merged', merged: tip, previousTip: tip, verifyMs: 0, alreadyMerged: true, commits: 0 };
  return withScratchWorktree(req.repo, req.commit, async (wt) => {
    try {
      await git(wt, 'rebase', '-q', tip);
    } catch (err) {
      const files = (await git(wt, 'diff', '--name-only', '--diff-filter=U').catch(() => '')).split('\n').filter(Boolean);
      await gitOk(wt, 'rebase', '--abort');
      return { kind: 'conflict', files, detail: String((err as { details?: { stderr?: string } }).details?.stderr ?? (err as Error).message).slice(-4000), tip };
    }
    const rebased = await git(wt, 'rev-parse', 'HEAD');
    req.onStage?.('rebased', { rebased, tip });
    let verifyMs = 0;
    let redAsBaseline: { failures: string[] } | undefined;
    if (req.verify) {
      await linkSharedDirs(req.repo, wt, req.sharedDirs ?? SHARED_DIRS, new Set());
      req.onStage?.('verify_started', { command: req.verify });
      const r = await runCommand(req.verify, wt, req.verifyTimeoutMs, { sandbox: req.sandbox, readRoots: sharedRoots(req.repo, req.sharedDirs ?? SHARED_DIRS) });
      verifyMs = r.ms;
      const failures = r.ok ? [] : failureLines(r.output, wt);
      const asBaseline = !r.ok && !r.timedOut && !!req.baselineFailures?.length && failures.every((f) => req.baselineFailures!.includes(f));
      req.onStage?.('verify_finished', { ok: r.ok, code: r.code, ms: r.ms, ...(r.ok ? {} : { failures: failures.slice(0, 10), asBaseline }) });
      if (!r.ok && !asBaseline) return { kind: 'red', output: r.output, code: r.code, timedOut: r.timedOut, verifyMs, tip, failures };
      if (asBaseline) redAsBaseline = { failures };
    }
    const home = await checkedOutAt(req.repo, req.target);
    if (home) {
      // The user's checkout follows, as after a pull; local edits there are never overwritten.
      if (!(await gitOk(home, 'diff', '--quiet', 'HEAD'))) return { kind: 'blocked', detail: `${req.target} is checked out at ${home} with uncommitted changes; commit or stash them` };
      if ((await revParse(home, 'HEAD')) !== tip) return { kind: 'blocked', detail: `${req.target} moved during the merge` };
      if (!(await gitOk(home, 'merge', '-q', '--ff-only', rebased))) return { kind: 'blocked', detail: `fast-forward of ${req.target} at ${home} refused (untracked files in the way?)` };
    } else if (req.publish) {
      // A remote target: pushed as a fast-forward compare-and-swap (see remote-merge.ts).
      if (!(await req.publish(rebased, tip))) return { kind: 'blocked', detail: `${req.target} moved on the remote during the merge`, moved: true };
    } else if (!(await gitOk(req.repo, 'update-ref', `refs/heads/${req.target}`, rebased, tip))) {
      return { kind: 'blocked', detail: `${req.target} moved during the merge` };
    }
    return { kind: 'merged', merged: rebased, previousTip: tip, verifyMs, alreadyMerged: false, commits: await countCommits(req.repo, tip, rebased), ...(redAsBaseline ? { redAsBaseline } : {}) };
  });
}

const SHARED_DIRS = ['node_modules', '.venv', 'vendor'];

/** Runs `fn` in a detached worktree at `commit` that is removed afterwards, whatever happens. */
async function withScratchWorktree<T>(repo: string, commit: string, fn: (wt: string) => Promise<T>): Promise<T> {
  const scratch = await mkdtemp(join(tmpdir(), 'godel-scratch-'));
  const wt = join(scratch, 'wt');
  try {
    await git(repo, 'worktree', 'add', '-q', '--detach', wt, commit);
    return await fn(wt);
  } finally {
    await gitOk(repo, 'worktree', 'remove', '--force', wt);
    await rm(scratch, { recursive: true, force: true });
    await gitOk(repo, 'worktree', 'prune');
  }
}

/** Runs the verification command on `commit` in a scratch worktree (dependency folders shared), sandboxed. */
export async function verifyAt(repo: string, commit: string, command: string, timeoutMs: number, options: { sandbox?: Sandbox } = {}): Promise<CommandResult & { failures: string[] }> {
  return withScratchWorktree(repo, commit, async (wt) => {
    await linkSharedDirs(repo, wt, SHARED_DIRS, new Set());
    const r = await runCommand(command, wt, timeoutMs, { sandbox: options.sandbox, readRoots: sharedRoots(repo, SHARED_DIRS) });
    return { ...r, failures: r.ok ? [] : failureLines(r.output, wt) };
  });
}

/** The repository's shared dependency folders that exist (the verification reads them through the worktree's links). */
function sharedRoots(repo: string, dirs: readonly string[]): string[] {
  return dirs.map((d) => join(repo, d)).filter((p) => existsSync(p));
}

const FAILURE = /fail|error|assert|exception|expected|not ok|✗|✕|panic/i;

/**
 * The failing part of a red verification's output, comparable across checkouts: lines that name a
 * failure (the worktree's path replaced by `.`), or the last lines when none does. Used to show
 * which check failed and to tell a failure the target already had (the baseline) from a new one.
 */
export function failureLines(output: string, cwd?: string): string[] {
  let text = output;
  if (cwd) text = text.split(cwd).join('.');
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const failing = lines.filter((l) => FAILURE.test(l) && !/^at /.test(l));
  const picked = failing.length > 0 ? failing : lines.slice(-5);
  return [...new Set(picked.map((l) => l.slice(0, 300)))].slice(0, 50);
}
