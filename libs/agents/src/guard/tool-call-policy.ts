import { isAbsolute, resolve } from 'node:path';
// A relative import, not `@godel/workspace`: this module is also loaded inside pi by pi's own
// TypeScript loader (jiti), which knows nothing of the tsconfig path aliases. It goes through the
// lib's public index all the same. After `npm run build` the same path finds dist/libs/workspace.
import { PathGuard } from '../../../workspace/src/index';
import type { PathCheck } from '../../../workspace/src/index';
import { GUARD_REASON_PREFIX, type GuardFinding, type GuardRule } from './guard-protocol';

/** pi's built-in tools that take a path, the argument that holds it, and whether they only read. */
const PATH_TOOLS: Readonly<Record<string, { optional: boolean; readOnly: boolean }>> = {
  read: { optional: false, readOnly: true },
  ls: { optional: true, readOnly: true },
  grep: { optional: true, readOnly: true },
  find: { optional: true, readOnly: true },
  write: { optional: false, readOnly: false },
  edit: { optional: false, readOnly: false },
};

export interface ToolCallPolicyOptions {
  /** Absolute path of the worktree. */
  worktree: string;
  /** Further absolute roots the read-only tools (read, ls, grep, find) may resolve into, e.g. a shared `node_modules`. */
  readRoots?: readonly string[];
  /** What pi expands `~` to (pi uses `os.homedir()`). */
  homeDir: string;
}

export type GuardVerdict = { allowed: true } | { allowed: false; reason: string; findings: GuardFinding[] };

/**
 * Decides one tool call of pi: allowed, or refused with the reason the model will read.
 *
 * Paths are resolved exactly as pi's tools resolve them (tools/path-utils.js of pi 0.73): a leading
 * `@` dropped, Unicode spaces made plain, `~` expanded; a relative path is joined to the cwd and
 * normalised lexically (`path.resolve`), an absolute one is used as given (so the kernel applies
 * its `..` after symlinks). The result is then resolved physically by PathGuard (every symlink
 * followed, missing tails applied lexically). For `read`, the spelling variants pi falls back to
 * (macOS screenshot names, NFD, curly quote) are checked too. `bash` gets PathGuard's best-effort
 * command scan. Any other tool is refused: the guard cannot know what it touches.
 */
export class ToolCallPolicy {
  private readonly strict: PathGuard;
  private readonly reading: PathGuard;

  constructor(private readonly options: ToolCallPolicyOptions) {
    this.strict = new PathGuard(options.worktree);
    const readRoots = options.readRoots ?? [];
    this.reading = readRoots.length > 0 ? new PathGuard(options.worktree, { allowedRoots: readRoots }) : this.strict;
  }

  async check(toolName: string, input: Record<string, unknown>, cwd: string): Promise<GuardVerdict> {
    try {
      if (toolName === 'bash') return await this.checkBash(input, cwd);
      const spec = PATH_TOOLS[toolName];
      if (!spec) {
        return this.refuse(`tool "${toolName}" refused: the path guard does not know which paths this tool touches.`, [
          { path: '', rule: 'unknown_tool' },
        ]);
      }
      const raw = input.path;
      if (raw === undefined && spec.optional) return await this.checkPaths(toolName, '.', [cwd], spec.readOnly);
      if (typeof raw !== 'string') return this.refuse(`${toolName} refused: its path argument is not a string.`, [{ path: String(raw), rule: 'invalid' }]);
      const target = resolveLikePi(raw === '' && spec.optional ? '.' : raw, cwd, this.options.homeDir);
      const candidates = toolName === 'read' ? readVariants(target) : [target];
      return await this.checkPaths(toolName, raw, candidates, spec.readOnly);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return this.refuse(`${toolName} refused: the path check failed (${message}).`, [{ path: '', rule: 'guard_error' }]);
    }
  }

  /** `candidates` are absolute: the path(s) pi's tool will open. */
  private async checkPaths(toolName: string, requested: string, candidates: string[], readOnly: boolean): Promise<GuardVerdict> {
    const guard = readOnly ? this.reading : this.strict;
    for (const candidate of candidates) {
      const result = await guard.check(candidate);
      if (!result.inside) return this.refuse(`${toolName} refused: ${this.describe(requested, result)}.`, [finding(requested, result)]);
    }
    return { allowed: true };
  }

  private async checkBash(input: Record<string, unknown>, cwd: string): Promise<GuardVerdict> {
    const command = input.command;
    if (typeof command !== 'string') return this.refuse('bash refused: its command argument is not a string.', [{ path: '', rule: 'invalid' }]);
    const result = await this.strict.checkBashCommand(command, cwd);
    if (result.ok) return { allowed: true };
    const findings: GuardFinding[] = result.findings.map((f) => ({ path: f.path, resolvedPath: f.resolvedPath, rule: f.reason }));
    const listed = findings.map((f) => (f.rule === 'home' ? `"${f.path}" (the home directory)` : `"${f.path}" (${f.resolvedPath})`)).join(', ');
    return this.refuse(`bash refused: the command refers to ${listed}, which is outside this agent's worktree (${this.options.worktree}).`, findings);
  }

  private describe(requested: string, result: PathCheck): string {
    if (result.reason === 'symlink_loop') return `"${requested}" has too many levels of symbolic links`;
    if (result.reason === 'invalid') return `"${requested}" is not a valid path`;
    return `"${requested}" resolves to ${result.resolvedPath}, which is outside this agent's worktree (${this.options.worktree})`;
  }

  private refuse(text: string, findings: GuardFinding[]): GuardVerdict {
    return {
      allowed: false,
      reason: `${GUARD_REASON_PREFIX} ${text} Tools may only read and write inside the worktree.`,
      findings,
    };
  }
}

/** pi's `resolveToCwd` (tools/path-utils.js): the path pi's tools will open. */
export function resolveLikePi(path: string, cwd: string, homeDir: string): string {
  let expanded = (path.startsWith('@') ? path.slice(1) : path).replace(UNICODE_SPACES, ' ');
  if (expanded === '~') expanded = homeDir;
  else if (expanded.startsWith('~/')) expanded = homeDir + expanded.slice(1);
  return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
}

const UNICODE_SPACES = /[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g;

/** The spellings pi's `read` tries when the path does not exist (`resolveReadPath`). */
export function readVariants(path: string): string[] {
  const nfd = path.normalize('NFD');
  const curly = (p: string) => p.replace(/'/g, '\u2019');
  return [...new Set([path, path.replace(/ (AM|PM)\./gi, '\u202F$1.'), nfd, curly(path), curly(nfd)])];
}

function finding(requested: string, result: PathCheck): GuardFinding {
  const rule: GuardRule = result.reason ?? 'outside';
  return { path: requested, resolvedPath: result.resolvedPath || undefined, rule };
}
