import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve as resolvePath, sep } from 'node:path';
import { GodelError } from '@godel/actors';
import { AuthForbiddenError, roleAtLeast, type Principal } from '@godel/auth';
import type { RegisteredRepo, RepoRegistry } from '@godel/persistence';
import { isWorkspaceError, looksLikeUrl, parseRepoSource, type RepoMirrors } from '@godel/workspace';
import { InvalidRequest } from '../http/validate';

/** A repository path outside GODEL_REPO_ROOTS (HTTP 403). */
export class RepoOutsideRootsError extends GodelError {
  readonly code = 'repo.outside_roots';
  readonly retryable = false;
}

/** An operator asked for work on a repository no admin registered (HTTP 403). */
export class RepoNotRegisteredError extends GodelError {
  readonly code = 'repo.not_registered';
  readonly retryable = false;
}

function under(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Which repositories a caller may work on. Every path is resolved to its real path (symlinks
 * followed) and must lie under one of GODEL_REPO_ROOTS (real paths too); operators may only use
 * registered repositories, admins any repository under the roots.
 */
export class RepoAccess {
  constructor(
    private readonly configuredRoots: string[],
    readonly registry: RepoRegistry,
    /** This instance's mirrors: registering a URL checks it is reachable with the server's credentials. */
    private readonly mirrors?: RepoMirrors,
  ) {}

  /**
   * The real path of `repo`, a directory under a root; otherwise repo.outside_roots / request.invalid.
   * A URL (https, ssh, git, file) is returned as given once it parses (workspace.bad_url otherwise).
   */
  async resolve(repo: string): Promise<string> {
    if (looksLikeUrl(repo)) return (parseRepoSource(repo) as { url: string }).url;
    if (!isAbsolute(repo)) throw new InvalidRequest(`repo must be an absolute path on the server, got "${repo}"`);
    const roots = await this.realRoots();
    let real: string;
    try {
      real = await realpath(repo);
    } catch {
      // Only say "does not exist" inside the roots: outside them, existence is nobody's business.
      if (!roots.some((r) => under(resolvePath(repo), r))) throw new RepoOutsideRootsError(`${repo} is not under GODEL_REPO_ROOTS`, { repo, roots });
      throw new InvalidRequest(`${repo} does not exist on the server`);
    }
    if (!roots.some((r) => under(real, r))) {
      throw new RepoOutsideRootsError(`${real} is not under GODEL_REPO_ROOTS (${roots.join(', ') || 'none'}): an admin sets the roots`, { repo: real, roots });
    }
    if (!(await stat(real)).isDirectory()) throw new InvalidRequest(`${real} is not a directory`);
    return real;
  }

  /** The repository a caller starts work on: its real path and, when registered, its settings. */
  async forWork(repo: string, caller: Principal): Promise<{ path: string; registered?: RegisteredRepo }> {
    const path = await this.resolve(repo);
    const registered = await this.registry.get(path);
    // A URL makes the server connect out with its git credentials: only URLs an admin registered, for everyone.
    if (!registered && looksLikeUrl(path)) throw new RepoNotRegisteredError(`${path} is not a registered repository URL: an admin registers it first (POST /api/v1/repos)`, { repo: path });
    if (!registered && !roleAtLeast(caller.role, 'admin')) {
      throw new RepoNotRegisteredError(`${path} is not a registered repository: an admin registers it first (POST /api/v1/repos)`, { repo: path });
    }
    return { path, registered };
  }

  /**
   * A URL being registered: mirrored now under this instance's home, so an unreachable URL or
   * credentials the remote refuses fail the registration (workspace.unreachable / auth_failed).
   */
  async checkRemote(url: string): Promise<void> {
    if (!this.mirrors) throw new InvalidRequest('this server has no repository mirrors: URL repositories are not available');
    try {
      await this.mirrors.ensure(url);
    } catch (err) {
      if (isWorkspaceError(err)) throw err;
      throw new InvalidRequest(`${url} cannot be mirrored: ${(err as Error).message}`);
    }
  }

  /** Refuses a setting only admins may choose (free-text verify, workflow files, maintenance). */
  static adminOnly(caller: Principal, what: string): void {
    if (!roleAtLeast(caller.role, 'admin')) {
      throw new AuthForbiddenError(`${what} is admin-only; key "${caller.name}" has ${caller.role} (operators use the repository's registered settings)`, { need: 'admin', have: caller.role });
    }
  }

  /** The roots as real paths (resolved on every call: a root may be created or re-linked later). */
  private async realRoots(): Promise<string[]> {
    const rs = await Promise.all(this.configuredRoots.map((r) => realpath(r).catch(() => undefined)));
    return rs.filter((r): r is string => !!r);
  }
}
