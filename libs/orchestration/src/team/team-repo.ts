import { basename, dirname } from 'node:path';
import { looksLikeUrl, WorkspaceError, type AgentRepos, type RepoMirrors } from '@godel/workspace';
import { deleteRefs, git, keepRef } from '../refinery/git-ops';

/** Where a team keeps refs on the remote, under `refs/godel/<space>/<team>/`. */
const TEAM_SPACES = ['work', 'approved', 'merged', 'attempts'];

/** This instance's access to URL repositories: its mirrors and its agents' worktrees over them. */
export interface TeamRepoOptions {
  mirrors: RepoMirrors;
  agents: AgentRepos;
}

/**
 * Where a team's git work runs on this instance (issue 12): the repository's path itself, or — for a
 * repository URL — this instance's mirror of it and the members' worktrees built from it. A team
 * keeps no path of another host: a worktree reported by a member on a dead instance is found (or
 * rebuilt from the member's pushed work) here by its `<team>/<agent>`; commits the team needs
 * and does not have are fetched from its refs on the remote; what it writes into a worktree (a
 * commit, a reset) is pushed as that member's work, and the refs it keeps live on the remote.
 * For a path every call is the local git operation of single-host mode.
 */
export class TeamRepo {
  constructor(private readonly o?: TeamRepoOptions) {}

  isRemote(repo: string): boolean {
    return looksLikeUrl(repo);
  }

  /** The local git directory of `repo`: the path, or the mirror of a URL (fetched from the remote when `fresh`). */
  async dir(repo: string, fresh = false): Promise<string> {
    if (!this.isRemote(repo)) return repo;
    return this.opts(repo).mirrors.ensure(repo, { fetch: fresh });
  }

  /** The commits are in this instance's mirror (fetched from the team's refs on the remote when missing). */
  async have(repo: string, team: string, commits: string[]): Promise<void> {
    if (!this.isRemote(repo)) return;
    const dir = await this.dir(repo);
    const missing = async () => (await Promise.all(commits.map((c) => git(dir, 'cat-file', '-e', `${c}^{commit}`).then(() => false, () => true)))).some(Boolean);
    if (!(await missing())) return;
    const spaces = ['work', 'approved', 'attempts'].map((n) => `+refs/godel/${n}/${team}/*:refs/godel/${n}/${team}/*`);
    await this.opts(repo).mirrors.fetchRefs(repo, spaces);
    await this.opts(repo).mirrors.fetch(repo);
  }

  /**
   * A member's worktree on this instance, from the path it last reported (maybe another host's):
   * for a URL, `<worktrees>/<team>/<agent>` here — rebuilt from its pushed work when absent.
   */
  async worktree(repo: string, reported: string, baseRef = 'HEAD'): Promise<string> {
    if (!this.isRemote(repo)) return reported;
    const wt = await this.opts(repo).agents.ensureWorktree({ repo, team: basename(dirname(reported)), agent: basename(reported), baseRef });
    return wt.path;
  }

  /** After the team wrote into a member's worktree (URL): pushed as the member's work, so a takeover rebuilds it as it is now. */
  async published(repo: string, worktree: string): Promise<void> {
    if (!this.isRemote(repo)) return;
    const agents = this.opts(repo).agents;
    const team = basename(dirname(worktree));
    const agent = basename(worktree);
    const here = await agents.ensureWorktree({ repo, team, agent, baseRef: 'HEAD' });
    await agents.pushWork({ repo, team, agent, worktree: here.path, baseCommit: here.baseCommit });
  }

  /** Refs under `prefix` (for a URL: on the remote, where the team keeps them). */
  async refsUnder(repo: string, prefix: string): Promise<string[]> {
    if (!this.isRemote(repo)) return (await git(repo, 'for-each-ref', '--format=%(refname)', prefix)).split('\n').filter(Boolean);
    const dir = await this.dir(repo);
    const runner = await this.opts(repo).mirrors.runner();
    const { stdout } = await runner(['ls-remote', '--', repo, `${prefix}*`], { cwd: dir });
    return stdout.split('\n').map((l) => l.split('\t')[1]).filter((r): r is string => !!r && r.startsWith(prefix));
  }

  /** Keeps `commit` under `ref` (for a URL: on the remote). */
  async keepRef(repo: string, ref: string, commit: string): Promise<void> {
    if (!this.isRemote(repo)) return keepRef(repo, ref, commit);
    await this.have(repo, ref.split('/')[3] ?? '', [commit]);
    await this.opts(repo).mirrors.push(repo, [`+${commit}:${ref}`]);
  }

  /** Deletes the refs under `prefix` (for a URL: on the remote and in the mirror). */
  async deleteRefs(repo: string, prefix: string): Promise<void> {
    if (!this.isRemote(repo)) {
      await deleteRefs(repo, prefix);
      return;
    }
    const refs = await this.refsUnder(repo, prefix);
    if (refs.length > 0) await this.opts(repo).mirrors.push(repo, refs.map((r) => `:${r}`));
    await deleteRefs(await this.dir(repo), prefix);
  }

  /**
   * When a URL team has ended and its members cleaned up: the team's refs leave the remote (and the
   * mirror) — its members' work (`refs/godel/work/<team>/`), approved and merged markers, attempt
   * refs, `godel/<team>/*` branches — except the kept failed work (`godel/<team>/failed/<task>`).
   * Returns the refs deleted on the remote. Safe to run again (nothing left: no push).
   */
  async deleteTeamRefs(repo: string, team: string): Promise<string[]> {
    if (!this.isRemote(repo)) return [];
    const spaces = TEAM_SPACES.map((n) => `refs/godel/${n}/${team}/`);
    const ours = (r: string) => spaces.some((p) => r.startsWith(p)) || (r.startsWith(`refs/heads/godel/${team}/`) && !r.startsWith(`refs/heads/godel/${team}/failed/`));
    const dir = await this.dir(repo);
    const runner = await this.opts(repo).mirrors.runner();
    const { stdout } = await runner(['ls-remote', '--', repo, 'refs/godel/*', 'refs/heads/godel/*'], { cwd: dir });
    const refs = [...new Set(stdout.split('\n').map((l) => l.split('\t')[1]).filter((r): r is string => !!r && ours(r)))];
    if (refs.length > 0) await this.opts(repo).mirrors.push(repo, refs.map((r) => `:${r}`));
    for (const p of spaces) await deleteRefs(dir, p);
    return refs;
  }

  private opts(repo: string): TeamRepoOptions {
    if (!this.o) throw new WorkspaceError('workspace.bad_url', `${repo}: this instance has no repository mirrors configured, so teams on repository URLs are not available here`, { repo });
    return this.o;
  }
}
