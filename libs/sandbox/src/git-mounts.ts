import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { SandboxInvalidError } from './errors';

/** What of a worktree's repository a sandbox sees, as SandboxRequest fields. */
export interface GitMounts {
  readable: string[];
  hidden: string[];
  writable: string[];
  readOnlyOver: string[];
}

/**
 * The mounts that let git work in `worktree` and nothing more: the repository's common dir
 * read-only, other worktrees' admin dirs hidden, `objects`, `refs`, `logs` and this worktree's
 * admin dir writable when `write` (commits need them), and on top, read-only again: the shared
 * `config`, `hooks`, `info`, `packed-refs`, the admin dir's `commondir`/`gitdir`/Godel metadata
 * and the worktree's own `.git` link (so it cannot be swapped for a folder with its own config).
 * A worktree without a `.git` link (a plain folder) gets nothing.
 */
export function gitMounts(worktree: string, write: boolean): GitMounts {
  const out: GitMounts = { readable: [], hidden: [], writable: [], readOnlyOver: [] };
  const link = join(worktree, '.git');
  let st;
  try {
    st = statSync(link);
  } catch {
    return out;
  }
  if (!st.isFile()) {
    // A main checkout: its .git folder is the common dir; the agent gets it read-only.
    out.readable.push(realpathSync(link));
    return out;
  }
  const m = /^gitdir: (.+)$/m.exec(readFileSync(link, 'utf8'));
  if (!m) throw new SandboxInvalidError(`${link} is not a git worktree link`, { worktree });
  const adminDir = realpathSync(resolve(worktree, m[1].trim()));
  const commonRel = readFileSync(join(adminDir, 'commondir'), 'utf8').trim();
  const commonDir = realpathSync(isAbsolute(commonRel) ? commonRel : resolve(adminDir, commonRel));
  out.readable.push(commonDir);
  out.hidden.push(join(commonDir, 'worktrees'));
  if (write) out.writable.push(...['objects', 'refs', 'logs'].map((d) => join(commonDir, d)).filter((p) => existsSync(p)));
  (write ? out.writable : out.readable).push(adminDir);
  const protect = [
    ...['config', 'hooks', 'info', 'packed-refs', 'shallow'].map((f) => join(commonDir, f)),
    ...['commondir', 'gitdir', 'config.worktree', 'godel-worktree.json'].map((f) => join(adminDir, f)),
    link,
  ];
  out.readOnlyOver.push(...protect.filter((p) => existsSync(p)));
  return out;
}

/**
 * Godel's install root for `file`: the folder before the first `/node_modules/` of its real path
 * (pi's cli.js), else the nearest parent holding both `node_modules` and `package.json` (Godel's
 * own sources or dist). Undefined when there is none.
 */
export function installRootOf(file: string): string | undefined {
  const real = realpathSync(file);
  const at = real.indexOf('/node_modules/');
  if (at > 0) return real.slice(0, at);
  let dir = real;
  for (;;) {
    const parent = resolve(dir, '..');
    if (parent === dir) return undefined;
    if (existsSync(join(parent, 'node_modules')) && existsSync(join(parent, 'package.json'))) return parent;
    dir = parent;
  }
}
