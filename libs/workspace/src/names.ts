import { WorkspaceError } from './errors/workspace-error';

/** Prefix of every branch this lib creates: `godel/<team>/<agent>`. */
export const BRANCH_PREFIX = 'godel';

/**
 * A team or agent name: one path segment and one ref component at once. Deliberately stricter than
 * git's check-ref-format: lower case only (no `Agent` vs `agent` clash on case-insensitive file
 * systems, where loose refs and worktree folders would collide), no slashes (the branch already
 * has its two levels), no leading `.` or `-`, no `..`, no `.lock` suffix, at most 64 characters.
 */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Why `name` is not a valid team/agent name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'is empty';
  if (name.length > 64) return 'is longer than 64 characters';
  if (!NAME.test(name)) return 'may only use a-z, 0-9, ".", "_", "-" and must start with a letter or digit';
  if (name.includes('..')) return 'contains ".."';
  if (name.endsWith('.')) return 'ends with "."';
  if (name.endsWith('.lock')) return 'ends with ".lock"';
  return undefined;
}

export function assertValidName(name: string, what: 'team' | 'agent'): void {
  const problem = nameProblem(name);
  if (problem) {
    throw new WorkspaceError('workspace.invalid_name', `${what} name ${JSON.stringify(name)} ${problem}`, { [what]: name, problem });
  }
}

export function branchName(team: string, agent: string): string {
  return `${BRANCH_PREFIX}/${team}/${agent}`;
}

/** `{ team, agent }` of a branch (`godel/t/a` or `refs/heads/godel/t/a`) this lib made, else undefined. */
export function parseBranchName(ref: string): { team: string; agent: string } | undefined {
  const short = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
  const parts = short.split('/');
  if (parts.length !== 3 || parts[0] !== BRANCH_PREFIX) return undefined;
  const [, team, agent] = parts;
  if (nameProblem(team) || nameProblem(agent)) return undefined;
  return { team, agent };
}

/**
 * Why `ref` cannot be a base ref we pass to git, or undefined. Only guards against option
 * injection and garbage; git itself decides whether the ref exists.
 */
export function baseRefProblem(ref: string): string | undefined {
  if (typeof ref !== 'string' || ref.length === 0) return 'is empty';
  if (ref.startsWith('-')) return 'starts with "-"';
  if (/[\0\n\r]/.test(ref)) return 'contains a control character';
  return undefined;
}
