/**
 * Where a command writes. Human mode: progress and results on stdout. `--json` mode: stdout carries only
 * machine output (one JSON document, or JSON lines for streaming commands); progress goes to stderr.
 */
export interface Output {
  readonly json: boolean;
  /** A step of a long operation. */
  progress(line: string): void;
  /** Human text on stdout (ignored in --json mode). */
  print(text: string): void;
  /** One JSON document or JSON line on stdout (ignored in human mode). */
  emit(doc: unknown): void;
  /** A warning or error for people: always stderr. */
  warn(line: string): void;
}

export function createOutput(json: boolean, streams: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr }): Output {
  const started = Date.now();
  const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  return {
    json,
    progress(line) {
      if (json) streams.err.write(`godel: ${line}\n`);
      else streams.out.write(`${stamp()}  ${line}\n`);
    },
    print(text) {
      if (!json) streams.out.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    emit(doc) {
      if (json) streams.out.write(`${JSON.stringify(doc)}\n`);
    },
    warn(line) {
      streams.err.write(`godel: ${line}\n`);
    },
  };
}

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => (numeric[c] ? v.padStart(widths[c]) : v.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
