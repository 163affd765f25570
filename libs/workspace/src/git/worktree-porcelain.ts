/** One entry of `git worktree list --porcelain -z`. */
export interface PorcelainWorktree {
  path: string;
  /** Commit checked out; undefined for a bare entry (and for an unborn branch). */
  head?: string;
  /** Full ref (`refs/heads/...`); undefined when detached or bare. */
  branch?: string;
  bare: boolean;
  detached: boolean;
  /** Reason text when locked ('' when locked without a reason); undefined when not locked. */
  locked?: string;
  /** Reason text when git would prune it (its folder is gone); undefined otherwise. */
  prunable?: string;
}

/**
 * Parses `git worktree list --porcelain -z` (git >= 2.36): attributes separated by NUL, entries
 * by an empty attribute. With -z, paths and reasons are verbatim (newlines included), unlike the
 * newline format which would split a path holding "\n". Unknown attributes are ignored so newer
 * git versions keep parsing.
 */
export function parseWorktreePorcelainZ(output: string): PorcelainWorktree[] {
  const result: PorcelainWorktree[] = [];
  let current: PorcelainWorktree | undefined;
  for (const field of output.split('\0')) {
    if (field === '') {
      if (current) result.push(current);
      current = undefined;
      continue;
    }
    const space = field.indexOf(' ');
    const key = space < 0 ? field : field.slice(0, space);
    const value = space < 0 ? '' : field.slice(space + 1);
    if (key === 'worktree') {
      if (current) result.push(current);
      current = { path: value, bare: false, detached: false };
      continue;
    }
    if (!current) continue;
    switch (key) {
      case 'HEAD':
        current.head = value;
        break;
      case 'branch':
        current.branch = value;
        break;
      case 'bare':
        current.bare = true;
        break;
      case 'detached':
        current.detached = true;
        break;
      case 'locked':
        current.locked = value;
        break;
      case 'prunable':
        current.prunable = value;
        break;
    }
  }
  if (current) result.push(current);
  return result;
}
