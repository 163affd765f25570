/** A word after quote removal, with what the shell would still expand in it. */
export interface ShellWord {
  kind: 'word';
  /** Text with quotes and backslashes removed (expansions left as written). */
  value: string;
  /** Has an unquoted or double-quoted `$`, `$(...)` or backtick: its real value is only known at run time. */
  dynamic: boolean;
  /** Starts with an unquoted `~` (tilde expansion to a home directory). */
  tilde: boolean;
}

export interface ShellOperator {
  kind: 'op';
  /** `;` (also for newlines), `&&`, `||`, `|`, `|&`, `&`, `(`, `)`, or a redirection (`>`, `2>>`, `<<`, ...). */
  value: string;
}

export type ShellToken = ShellWord | ShellOperator;

export interface Tokenized {
  tokens: ShellToken[];
  /** Parts that were skipped (heredoc bodies, unterminated quotes). */
  notes: string[];
}

const OPERATORS = ['&>>', '<<<', '<<-', '&&', '||', ';;', '|&', '>>', '>|', '>&', '<&', '<>', '&>', '<<', ';', '|', '&', '(', ')', '>', '<'];

/**
 * A POSIX-shell-ish lexer good enough to find path arguments: quotes, backslashes, comments,
 * control and redirection operators (with an fd prefix such as `2>`), `$(...)` and backticks kept
 * inside their word, heredoc bodies skipped. It does not expand anything and is not a parser.
 */
export function tokenizeShell(input: string): Tokenized {
  const tokens: ShellToken[] = [];
  const notes: string[] = [];
  const heredocs: { delimiter: string; stripTabs: boolean }[] = [];
  let i = 0;
  let word: ShellWord | undefined;
  let pendingHeredoc: boolean | undefined; // set after `<<` / `<<-`: the next word is a delimiter

  const finishWord = () => {
    if (!word) return;
    tokens.push(word);
    if (pendingHeredoc !== undefined) {
      heredocs.push({ delimiter: word.value, stripTabs: pendingHeredoc });
      pendingHeredoc = undefined;
    }
    word = undefined;
  };
  const current = () => (word ??= { kind: 'word', value: '', dynamic: false, tilde: false });

  while (i < input.length) {
    const c = input[i];
    if (c === '\n') {
      finishWord();
      tokens.push({ kind: 'op', value: ';' });
      i++;
      if (heredocs.length > 0) i = skipHeredocBodies(input, i, heredocs.splice(0), notes);
      continue;
    }
    if (c === ' ' || c === '\t') {
      finishWord();
      i++;
      continue;
    }
    if (c === '#' && !word) {
      while (i < input.length && input[i] !== '\n') i++;
      continue;
    }
    const op = OPERATORS.find((o) => input.startsWith(o, i));
    if (op) {
      let value = op;
      if (word && /^\d+$/.test(word.value) && (op.startsWith('>') || op.startsWith('<'))) {
        value = word.value + op; // `2>` : the digits are the fd, not a word
        word = undefined;
      }
      finishWord();
      tokens.push({ kind: 'op', value });
      if (op === '<<' || op === '<<-') pendingHeredoc = op === '<<-';
      i += op.length;
      continue;
    }
    const w = current();
    if (c === '\\') {
      if (input[i + 1] !== '\n') w.value += input[i + 1] ?? '';
      i += 2;
    } else if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) notes.push('unterminated single quote');
      w.value += input.slice(i + 1, end < 0 ? input.length : end);
      i = end < 0 ? input.length : end + 1;
    } else if (c === '"') {
      i = readDoubleQuoted(input, i + 1, w, notes);
    } else if (c === '$' && input[i + 1] === '(') {
      const end = matchingParen(input, i + 1);
      w.value += input.slice(i, end);
      w.dynamic = true;
      i = end;
    } else if (c === '`') {
      const end = input.indexOf('`', i + 1);
      w.value += input.slice(i, end < 0 ? input.length : end + 1);
      w.dynamic = true;
      i = end < 0 ? input.length : end + 1;
    } else {
      if (c === '~' && w.value === '') w.tilde = true;
      if (c === '$') w.dynamic = true;
      w.value += c;
      i++;
    }
  }
  finishWord();
  if (heredocs.length > 0) notes.push('heredoc without body');
  return { tokens, notes };
}

function readDoubleQuoted(input: string, start: number, w: ShellWord, notes: string[]): number {
  let i = start;
  while (i < input.length && input[i] !== '"') {
    const c = input[i];
    if (c === '\\' && '$`"\\\n'.includes(input[i + 1] ?? '')) {
      if (input[i + 1] !== '\n') w.value += input[i + 1];
      i += 2;
      continue;
    }
    if (c === '$' || c === '`') w.dynamic = true;
    w.value += c;
    i++;
  }
  if (i >= input.length) notes.push('unterminated double quote');
  return i + 1;
}

/** Index just past the `)` matching the `(` at `open`, counting nesting; end of input if none. */
function matchingParen(input: string, open: number): number {
  let depth = 0;
  for (let i = open; i < input.length; i++) {
    if (input[i] === '(') depth++;
    else if (input[i] === ')' && --depth === 0) return i + 1;
  }
  return input.length;
}

function skipHeredocBodies(input: string, start: number, docs: { delimiter: string; stripTabs: boolean }[], notes: string[]): number {
  let i = start;
  for (const doc of docs) {
    notes.push(`heredoc body (${doc.delimiter}) not analysed`);
    for (;;) {
      if (i >= input.length) return i;
      const end = input.indexOf('\n', i);
      const line = input.slice(i, end < 0 ? input.length : end);
      i = end < 0 ? input.length : end + 1;
      if ((doc.stripTabs ? line.replace(/^\t+/, '') : line) === doc.delimiter) break;
    }
  }
  return i;
}
