import { JsonlSplitter } from './jsonl-splitter';

describe('JsonlSplitter', () => {
  function collect(maxLineChars?: number) {
    const lines: string[] = [];
    const overflows: number[] = [];
    const splitter = new JsonlSplitter((l) => lines.push(l), (n) => overflows.push(n), maxLineChars);
    return { splitter, lines, overflows };
  }

  it('splits on LF only, keeping U+2028/U+2029 inside records and dropping a trailing CR', () => {
    const { splitter, lines } = collect();
    splitter.push(Buffer.from('{"a":"x\u2028y\u2029z"}\n{"b":1}\r\n'));
    expect(lines).toEqual(['{"a":"x\u2028y\u2029z"}', '{"b":1}']);
  });

  it('joins records split across chunks, including inside a multi-byte character', () => {
    const { splitter, lines } = collect();
    const bytes = Buffer.from('{"s":"héllo ✓"}\n');
    for (let i = 0; i < bytes.length; i++) splitter.push(bytes.subarray(i, i + 1));
    expect(lines).toEqual(['{"s":"héllo ✓"}']);
  });

  it('flushes a last record without LF on end()', () => {
    const { splitter, lines } = collect();
    splitter.push('one\ntwo');
    expect(lines).toEqual(['one']);
    splitter.end();
    expect(lines).toEqual(['one', 'two']);
  });

  it('drops an over-long record, reports it, and resumes at the next LF', () => {
    const { splitter, lines, overflows } = collect(10);
    splitter.push('short\n');
    splitter.push('x'.repeat(25));
    splitter.push('yyy\nnext\n');
    expect(lines).toEqual(['short', 'next']);
    expect(overflows).toEqual([25]);
  });
});
