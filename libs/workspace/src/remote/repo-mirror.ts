import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkspaceError } from '../errors/workspace-error';
import { gitExitCode, type GitRunner } from '../git/git-runner';
import { KeyedMutex } from '../keyed-mutex';
import { collectMirrors, touchMirror, type MirrorGcReport } from './mirror-gc';
import { parseRepoSource } from './repo-source';
import { remoteGitRunner, type RemoteGitOptions } from './remote-git';

/** Remote branches land on the mirror's own branches, except Godel's agent branches (worktrees own those). */
export const MIRROR_FETCH_REFSPECS: readonly string[] = ['+refs/heads/*:refs/heads/*', '^refs/heads/godel/*', '+refs/tags/*:refs/tags/*'];

const mirrorLocks = new KeyedMutex();

/**
 * This instance's mirrors of repository URLs: one bare repository per URL under
 * `<home>/mirrors/<name>-<hash>.git`, its branches following the remote's (agent branches
 * `godel/*` excepted: they belong to this instance's worktrees). Every fetch and push names the
 * URL explicitly and first rewrites the mirror's config, so nothing written into it (by an agent
 * whose worktree shares it) redirects the server's credentials elsewhere or runs a command.
 */
export class RepoMirrors {
  private git?: Promise<GitRunner>;

  constructor(private readonly o: RemoteGitOptions) {}

  /** The runner remote operations use (server credentials in its environment only). */
  runner(): Promise<GitRunner> {
    return (this.git ??= remoteGitRunner(this.o));
  }

  pathOf(url: string): string {
    const source = parseRepoSource(url);
    if (source.kind !== 'url') throw new WorkspaceError('workspace.bad_url', `${url} is a path, not a URL`, { repo: url });
    return join(this.o.home, 'mirrors', `${source.key}.git`);
  }

  /**
   * The mirror of `url`, created on first use (clone into a temp folder, renamed into place: a
   * failed clone leaves nothing) or brought up to date (`fetch`: false to skip). Typed errors:
   * `workspace.bad_url`, `workspace.unreachable`, `workspace.auth_failed`.
   */
  async ensure(url: string, options: { fetch?: boolean } = {}): Promise<string> {
    const path = this.pathOf(url);
    return mirrorLocks.run(path, async () => {
      if (await isDir(path)) {
        if (options.fetch !== false) await this.fetchLocked(url, path);
        await mkdir(join(path, 'logs'), { recursive: true });
        await touchMirror(path);
        return path;
      }
      await mkdir(join(this.o.home, 'mirrors'), { recursive: true });
      const tmp = await mkdtemp(join(this.o.home, 'mirrors', '.new-'));
      try {
        const git = await this.runner();
        await git(['init', '-q', '--bare', tmp], { cwd: tmp });
        // Worktrees keep reflogs (a bare repository has no logs/): the folder must exist before an
        // agent's sandbox mounts it writable, or its first commit cannot write its reflog.
        await mkdir(join(tmp, 'logs'), { recursive: true });
        await this.fetchLocked(url, tmp);
        await this.setHead(url, tmp);
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
      return path;
    });
  }

  /** Fetches the remote's branches and tags into the mirror. */
  async fetch(url: string): Promise<void> {
    const path = this.pathOf(url);
    await mirrorLocks.run(path, () => this.fetchLocked(url, path));
  }

  /** Fetches exact refs (`src:dst` refspecs) into the mirror; `workspace.remote_ref_missing` when a source is absent. */
  async fetchRefs(url: string, refspecs: readonly string[]): Promise<void> {
    const path = await this.ensure(url, { fetch: false });
    await mirrorLocks.run(path, async () => {
      await touchMirror(path);
      await writeMirrorConfig(path, url);
      await (await this.runner())(['fetch', '-q', '--no-tags', '--', url, ...refspecs], { cwd: path });
    });
  }

  /** The commit a remote ref points at (`git ls-remote`), undefined when it does not exist. */
  async remoteRef(url: string, ref: string): Promise<string | undefined> {
    const path = await this.ensure(url, { fetch: false });
    const { stdout } = await (await this.runner())(['ls-remote', '--', url, ref], { cwd: path });
    const line = stdout.split('\n').find((l) => l.endsWith(`\t${ref}`));
    return line?.split('\t')[0];
  }

  /**
   * Pushes refspecs to the remote (atomically when the remote supports it). `expect` makes each
   * update a compare-and-swap (`--force-with-lease=<ref>:<sha>`, '' for "must not exist"): a
   * remote that moved answers `workspace.non_fast_forward`.
   */
  async push(url: string, refspecs: readonly string[], options: { expect?: Record<string, string>; atomic?: boolean } = {}): Promise<void> {
    const path = await this.ensure(url, { fetch: false });
    const leases = Object.entries(options.expect ?? {}).map(([ref, sha]) => `--force-with-lease=${ref}:${sha}`);
    if (options.atomic) leases.push('--atomic');
    await mirrorLocks.run(path, async () => {
      await touchMirror(path);
      await writeMirrorConfig(path, url);
      await (await this.runner())(['push', ...leases, '--', url, ...refspecs], { cwd: path });
    });
  }

  /**
   * Removes this instance's mirrors not used for `maxIdleMs` (GODEL_MIRROR_TTL_DAYS); never one a
   * worktree is built on, never during a git operation on it (same lock). See collectMirrors.
   */
  gc(maxIdleMs: number, now?: number): Promise<MirrorGcReport> {
    return collectMirrors({ home: this.o.home, maxIdleMs, now, lock: (path, fn) => mirrorLocks.run(path, fn) });
  }

  private async fetchLocked(url: string, path: string): Promise<void> {
    await touchMirror(path);
    await writeMirrorConfig(path, url);
    await (await this.runner())(['fetch', '-q', '--no-tags', '--', url, ...MIRROR_FETCH_REFSPECS], { cwd: path });
  }

  /** HEAD follows the remote's default branch (best effort: an empty remote has none). */
  private async setHead(url: string, path: string): Promise<void> {
    const git = await this.runner();
    const { stdout } = await git(['ls-remote', '--symref', '--', url, 'HEAD'], { cwd: path });
    const m = /^ref: (refs\/heads\/\S+)\tHEAD/m.exec(stdout);
    if (m) await git(['symbolic-ref', 'HEAD', m[1]], { cwd: path }).catch((err: unknown) => (gitExitCode(err) === null ? Promise.reject(err) : undefined));
  }
}

/** The mirror's whole config, rewritten before each remote operation (an agent's edits are dropped). */
async function writeMirrorConfig(path: string, url: string): Promise<void> {
  const fetches = MIRROR_FETCH_REFSPECS.map((r) => `\tfetch = ${r}\n`).join('');
  const text = `[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n[remote "origin"]\n\turl = "${url}"\n${fetches}`;
  await writeFile(join(path, 'config'), text, { mode: 0o644 });
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
