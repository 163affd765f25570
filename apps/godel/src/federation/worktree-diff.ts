import { lstat, readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { createGitRunner } from '@godel/workspace';
import { NotFound } from '../http/validate';

const MAX_DIFF_BYTES = 512 * 1024;

export interface WorktreeDiff {
  agent: string;
  instance: string;
  base: string | null;
  head: string | null;
  /** Every path that differs from the base commit (committed or not) and untracked files. */
  files: Array<{ path: string; status: string }>;
  diff: string;
  truncated: boolean;
}

/**
 * The live diff and file list of an agent's worktree against its base commit, read on the instance
 * whose disk holds it. The worktree must lie under this instance's worktrees folder; git runs with
 * the hardened config and an explicit environment.
 */
export async function worktreeDiff(p: { agent: string; instance: string; worktree?: string; base?: string; worktreesRoot: string; path: string }): Promise<WorktreeDiff> {
  const root = resolve(p.worktreesRoot) + sep;
  if (!p.worktree || !resolve(p.worktree).startsWith(root)) throw new NotFound(`agent ${p.agent} has no worktree on instance ${p.instance}`);
  const git = createGitRunner({ env: { PATH: p.path, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' }, timeoutMs: 15_000 });
  const cwd = p.worktree;
  const run = async (args: string[]) => (await git(args, { cwd })).stdout;
  // Two git processes side by side (the diff RPC's latency is mostly process spawns on a busy box):
  // `status` for HEAD and the untracked files — without optional locks, so it never takes the index
  // lock from the agent working there — and the diff against the base with its raw status lines.
  const [statusOut, diffOut] = await Promise.allSettled([
    run(['--no-optional-locks', 'status', '--porcelain=v2', '--branch', '--untracked-files=all']),
    run(['diff', '--no-color', '--no-ext-diff', '--no-renames', '--patch-with-raw', p.base ?? 'HEAD']),
  ]);
  const statusLines = statusOut.status === 'fulfilled' ? statusOut.value.split('\n') : [];
  const oid = statusLines.find((l) => l.startsWith('# branch.oid '))?.slice('# branch.oid '.length);
  const head = oid && /^[0-9a-f]{40,64}$/.test(oid) ? oid : null;
  // No worktree here (gone, never on this disk): not found, whatever the diff said about it.
  if (!head) throw new NotFound(`agent ${p.agent}'s worktree is not on instance ${p.instance}'s disk`);
  if (diffOut.status === 'rejected') throw diffOut.reason;
  const patch = diffOut.value;
  const files = new Map<string, string>();
  // --patch-with-raw: `:<mode> <mode> <sha> <sha> <status>\t<path>` lines, a blank line, then the patch.
  const rawEnd = patch.startsWith(':') ? patch.indexOf('\n\n') : 0;
  for (const line of patch.slice(0, rawEnd < 0 ? patch.length : rawEnd).split('\n')) {
    const [meta, path] = line.split('\t');
    const change = meta?.split(' ')[4];
    if (change && path) files.set(path, change);
  }
  for (const line of statusLines) if (line.startsWith('? ')) files.set(line.slice(2), '?');
  let diff = rawEnd < 0 ? '' : patch.slice(rawEnd === 0 ? 0 : rawEnd + 2);
  for (const [path, status] of files) if (status === '?' && Buffer.byteLength(diff) <= MAX_DIFF_BYTES) diff += await newFileDiff(cwd, path);
  const truncated = Buffer.byteLength(diff) > MAX_DIFF_BYTES;
  if (truncated) diff = Buffer.from(diff).subarray(0, MAX_DIFF_BYTES).toString('utf8');
  return { agent: p.agent, instance: p.instance, base: p.base ?? null, head, files: [...files].map(([path, status]) => ({ path, status })).sort((a, b) => a.path.localeCompare(b.path)), diff, truncated };
}

/** An untracked file as a "new file" diff (git diff leaves untracked files out); symlinks and binaries are named only. */
async function newFileDiff(cwd: string, path: string): Promise<string> {
  const head = `diff --git a/${path} b/${path}\nnew file\n--- /dev/null\n+++ b/${path}\n`;
  const st = await lstat(join(cwd, path)).catch(() => undefined);
  if (!st?.isFile() || st.size > MAX_DIFF_BYTES) return `${head}(not shown: ${st?.isSymbolicLink() ? 'symlink' : 'large or not a file'})\n`;
  const text = await readFile(join(cwd, path), 'utf8');
  if (text.includes('\u0000')) return `${head}(binary)\n`;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return `${head}@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join('\n')}\n`;
}
