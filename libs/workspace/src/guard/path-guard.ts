import { isAbsolute, relative, resolve, sep } from 'node:path';
import { WorkspaceError } from '../errors/workspace-error';
import { checkShellCommandPaths, type BashCheckResult } from './bash-path-check';
import type { PathCheck } from './path-check';
import { resolvePhysicalPath, SymlinkLoopError } from './physical-path';

export interface PathGuardOptions {
  /**
   * Further roots a path may resolve into and still count as inside, e.g. a shared dependency
   * folder for read-only tools. Default none: the `node_modules` symlink of a worktree points into
   * the main repository and so counts as an escape, which is what a *write* filter wants (writing
   * there changes every agent's dependencies).
   */
  allowedRoots?: readonly string[];
}

/**
 * Decides whether paths stay inside one worktree. Paths are resolved the way the OS would resolve
 * them at the moment of the check (see resolvePhysicalPath). Limits: a symlink created *after* the
 * check (time of check vs time of use) is not seen, so callers should check the path they then
 * open, right before opening it; POSIX paths only.
 */
export class PathGuard {
  private roots?: Promise<string[]>;

  constructor(
    readonly worktreePath: string,
    private readonly options: PathGuardOptions = {},
  ) {
    if (!isAbsolute(worktreePath)) throw new Error(`PathGuard needs an absolute worktree path, got ${worktreePath}`);
  }

  /** `cwd` (absolute, or relative to the worktree) is where a relative `requestedPath` starts; default the worktree root. */
  async check(requestedPath: string, cwd?: string): Promise<PathCheck> {
    const [root, ...extra] = await this.realRoots();
    if (typeof requestedPath !== 'string' || requestedPath.includes('\0')) {
      return { inside: false, requestedPath: String(requestedPath), resolvedPath: '', reason: 'invalid' };
    }
    const base = cwd === undefined ? this.worktreePath : isAbsolute(cwd) ? cwd : `${this.worktreePath}/${cwd}`;
    // Joined as a string, not path.resolve: `..` must be applied after symlinks, not before.
    const raw = isAbsolute(requestedPath) ? requestedPath : `${base}/${requestedPath}`;
    let resolvedPath: string;
    try {
      resolvedPath = await resolvePhysicalPath(raw);
    } catch (err) {
      if (err instanceof SymlinkLoopError) return { inside: false, requestedPath, resolvedPath: raw, reason: 'symlink_loop' };
      throw err;
    }
    if (within(root, resolvedPath)) return { inside: true, requestedPath, resolvedPath, relativePath: relative(root, resolvedPath) };
    if (extra.some((r) => within(r, resolvedPath))) return { inside: true, requestedPath, resolvedPath };
    return { inside: false, requestedPath, resolvedPath, reason: 'outside' };
  }

  /** Resolved path when inside; throws `workspace.path_escape` otherwise. */
  async assertInside(requestedPath: string, cwd?: string): Promise<string> {
    const result = await this.check(requestedPath, cwd);
    if (!result.inside) {
      throw new WorkspaceError('workspace.path_escape', `path ${JSON.stringify(requestedPath)} resolves outside the worktree`, {
        requestedPath,
        resolvedPath: result.resolvedPath,
        worktreePath: this.worktreePath,
        reason: result.reason,
      });
    }
    return result.resolvedPath;
  }

  /**
   * Best-effort scan of a shell command for paths that leave the worktree. Catches the plain
   * cases (absolute paths, `..` escapes, `~`, `$HOME`, `cd` out and back); it is NOT a sandbox.
   * See bash-path-check.ts for exactly what it cannot see.
   */
  async checkBashCommand(command: string, cwd?: string): Promise<BashCheckResult> {
    return checkShellCommandPaths(command, (path, from) => this.check(path, from), cwd ?? this.worktreePath);
  }

  private realRoots(): Promise<string[]> {
    this.roots ??= Promise.all([this.worktreePath, ...(this.options.allowedRoots ?? [])].map((r) => resolvePhysicalPath(resolve(r))));
    return this.roots;
  }
}

function within(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}
