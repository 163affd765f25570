import { WorkspaceError } from './errors/workspace-error';

/**
 * A shared dependency folder (`node_modules`, `.venv`, `vendor`, `packages/app/node_modules`):
 * relative, `/`-separated, no `.`/`..`/empty segments, no glob or exclude-file metacharacters
 * (the name goes verbatim into an exclude pattern).
 */
export function sharedDirProblem(dir: string): string | undefined {
  if (typeof dir !== 'string' || dir.length === 0) return 'is empty';
  if (dir.startsWith('/')) return 'is absolute';
  if (/[*?[\]\\!#\0\n\r]/.test(dir)) return 'contains a glob or exclude-file metacharacter';
  const segments = dir.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return 'has an empty, "." or ".." segment';
  if (segments[0] === '.git') return 'is inside .git';
  return undefined;
}

export function assertValidSharedDirs(dirs: readonly string[]): void {
  for (const dir of dirs) {
    const problem = sharedDirProblem(dir);
    if (problem) throw new WorkspaceError('workspace.invalid_name', `shared dir ${JSON.stringify(dir)} ${problem}`, { dir, problem });
  }
}

export const EXCLUDE_BEGIN = '# >>> godel shared dependency folders (managed by libs/workspace) >>>';
export const EXCLUDE_END = '# <<< godel shared dependency folders <<<';

/**
 * The exclude file with our block holding an anchored pattern per shared dir. The pattern has no
 * trailing slash on purpose: in a worktree the folder is a *symlink*, and `node_modules/` only
 * matches directories, so a repo's own `.gitignore` usually does not hide the link.
 * Lines outside our block are kept byte for byte; returns the input unchanged when nothing is
 * missing (so callers can skip the write).
 */
export function withExcludeBlock(current: string, dirs: readonly string[]): string {
  const lines = current.split('\n');
  const begin = lines.indexOf(EXCLUDE_BEGIN);
  const end = begin >= 0 ? lines.indexOf(EXCLUDE_END, begin) : -1;
  const existing = begin >= 0 && end > begin ? lines.slice(begin + 1, end) : [];
  const wanted = [...existing];
  for (const dir of dirs) if (!wanted.includes(`/${dir}`)) wanted.push(`/${dir}`);
  if (begin >= 0 && end > begin && wanted.length === existing.length) return current;
  const block = [EXCLUDE_BEGIN, ...wanted, EXCLUDE_END];
  if (begin >= 0 && end > begin) return [...lines.slice(0, begin), ...block, ...lines.slice(end + 1)].join('\n');
  const base = current.length === 0 || current.endsWith('\n') ? current : `${current}\n`;
  return `${base}${block.join('\n')}\n`;
}
