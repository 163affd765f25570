import type { PathCheck } from './path-check';
import { tokenizeShell, type ShellToken, type ShellWord } from './shell-words';

export interface BashFinding {
  /** The word of the command the path came from. */
  word: string;
  /** The path as written (or `~`, `$HOME`). */
  path: string;
  resolvedPath?: string;
  reason: 'outside' | 'home';
}

export interface BashCheckResult {
  /** No finding. Not a proof of safety: read `notes` and the limits below. */
  ok: boolean;
  findings: BashFinding[];
  /** What was not analysed (variables, command substitution, heredoc bodies, `cd -`, ...). */
  notes: string[];
}

/** Device files every tool writes to; always allowed. */
const ALLOWED_DEVICES = new Set(['/dev/null', '/dev/zero', '/dev/stdin', '/dev/stdout', '/dev/stderr', '/dev/tty', '/dev/random', '/dev/urandom']);

const URL = /[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"]*/g;
const SEPARATORS = /[\s'"(),;=:<>|&{}[\]]+/;

/**
 * Pieces of a word that could be paths: the word split on quotes, `=`, `:`, brackets and
 * whitespace (so `--out=/x`, `PATH=/a:/b` and `open('/etc/passwd')` inside `python -c` are all
 * seen), URLs removed, a short option glued to its value unglued (`-I/usr/include`, `-o../x`),
 * options themselves dropped. Every piece is then resolved: a plain word like `echo` resolves to a
 * missing file inside the cwd, which is harmless, and a relative path through a symlink that
 * points outside is caught.
 */
export function pathCandidates(value: string): string[] {
  return value
    .replace(URL, ' ')
    .split(SEPARATORS)
    .map((p) => p.replace(/^-[A-Za-z]+(?=\/|\.\.(?:\/|$))/, ''))
    .filter((p) => p !== '' && !p.startsWith('-'));
}

/**
 * Best-effort detection of paths outside the worktree in a shell command.
 *
 * Seen: absolute paths anywhere in a word (arguments, `--opt=/x`, `-I/x`, redirection targets,
 * paths inside quoted code), relative paths resolved against the tracked cwd with `..` and symlinks
 * applied (via `check`), `~`/`$HOME`/a bare `cd` (home), `cd`/`pushd` in a `;`/`&&`/`||` chain
 * moving the cwd (a `cd` inside `( )`, a pipeline or `&` does not move it, as in the shell).
 *
 * NOT seen (the result's `notes` name the ones met): values of variables and command
 * substitutions (`cat $F`, `$(echo /etc)`), globs that escape only after expansion, paths a
 * program builds itself (string concatenation in `python -c`, `git -C` relative to a computed
 * dir, `find` following symlinks), `cd -`, CDPATH, heredoc bodies, aliases and functions,
 * `eval`/`sh -c` with computed strings, symlinks created by an earlier part of the same command
 * (`ln -s $T e && cat e/passwd`: `e` does not exist yet when we look; `ln -s /etc e` is caught for
 * its `/etc`). False positives:
 * awk/sed regexes written `/like this/`, paths that are only text (`echo /etc`).
 * Use it to flag commands for review or refusal, never as the only boundary: the real one is the
 * OS (a container, a user without rights outside the worktree).
 */
export async function checkShellCommandPaths(
  command: string,
  check: (path: string, cwd: string) => Promise<PathCheck>,
  initialCwd: string,
): Promise<BashCheckResult> {
  const { tokens, notes } = tokenizeShell(command);
  const findings: BashFinding[] = [];
  const cwdStack: string[] = [];
  let cwd = initialCwd;

  for (const { words, before, after } of simpleCommands(tokens)) {
    if (before === '(') cwdStack.push(cwd);
    const commandIndex = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.value));
    for (const [index, w] of words.entries()) {
      if (w.tilde) findings.push({ word: w.value, path: '~', reason: 'home' });
      if (w.dynamic) {
        if (/\$(\{HOME\}|HOME\b)/.test(w.value)) findings.push({ word: w.value, path: '$HOME', reason: 'home' });
        else note(notes, `not expanded: ${w.value}`);
      }
      // The command name is looked up on PATH unless it has a slash: not a path to resolve.
      if (w.tilde || (index === commandIndex && !w.value.includes('/'))) continue;
      // Only the text before the first expansion is known: `/etc/$X` is outside whatever X is; `$X/..` is unknowable.
      const cut = w.dynamic ? w.value.search(/[$`]/) : -1;
      const known = cut >= 0 ? w.value.slice(0, cut) : w.value;
      for (const candidate of pathCandidates(known)) {
        if (ALLOWED_DEVICES.has(candidate) || candidate.startsWith('/dev/fd/') || candidate.startsWith('/proc/self/fd/')) continue;
        const result = await check(candidate, cwd);
        if (!result.inside) findings.push({ word: w.value, path: candidate, resolvedPath: result.resolvedPath, reason: 'outside' });
      }
    }
    const cdTarget = changeDirectoryTarget(words);
    const persists = before !== '|' && after !== '|' && after !== '|&' && after !== '&';
    if (cdTarget === null) {
      findings.push({ word: words[0].value, path: '~', reason: 'home' });
    } else if (cdTarget === '-') {
      note(notes, '`cd -` not followed');
    } else if (cdTarget !== undefined) {
      const target = await check(cdTarget, cwd);
      if (!target.inside) findings.push({ word: cdTarget, path: cdTarget, resolvedPath: target.resolvedPath, reason: 'outside' });
      if (persists && target.resolvedPath) cwd = target.resolvedPath;
    }
    if (after === ')') cwd = cwdStack.pop() ?? initialCwd;
  }
  return { ok: findings.length === 0, findings: dedupe(findings), notes };
}

interface SimpleCommand {
  words: ShellWord[];
  /** Operator before the command (undefined at the start). */
  before?: string;
  /** Operator after it (undefined at the end). */
  after?: string;
}

const CONTROL = new Set([';', ';;', '&&', '||', '|', '|&', '&', '(', ')']);

function simpleCommands(tokens: ShellToken[]): SimpleCommand[] {
  const result: SimpleCommand[] = [];
  let words: ShellWord[] = [];
  let before: string | undefined;
  for (const t of tokens) {
    if (t.kind === 'word') {
      words.push(t);
    } else if (CONTROL.has(t.value)) {
      if (words.length > 0 || t.value === ')') result.push({ words, before, after: t.value });
      words = [];
      before = t.value;
    } // redirections: the target is the next word, checked like any other
  }
  if (words.length > 0) result.push({ words, before });
  return result;
}

/** `cd`/`pushd` target: a path, `-`, null for a bare `cd` (home), undefined when not a cd. */
function changeDirectoryTarget(words: ShellWord[]): string | null | undefined {
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i].value)) i++;
  const name = words[i]?.value;
  if (name !== 'cd' && name !== 'pushd') return undefined;
  const args = words.slice(i + 1).filter((w) => !/^-[LPe@]+$/.test(w.value));
  if (args.length === 0) return name === 'cd' ? null : undefined;
  if (args[0].tilde || args[0].dynamic) return undefined; // reported as home/not expanded above
  return args[0].value;
}

function note(notes: string[], text: string): void {
  if (!notes.includes(text)) notes.push(text);
}

function dedupe(findings: BashFinding[]): BashFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.reason}:${f.path}:${f.resolvedPath ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
