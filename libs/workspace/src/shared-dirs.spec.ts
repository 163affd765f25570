import { EXCLUDE_BEGIN, EXCLUDE_END, assertValidSharedDirs, sharedDirProblem, withExcludeBlock } from './shared-dirs';

describe('shared dirs', () => {
  it('accepts relative folder paths, rejects escapes and pattern metacharacters', () => {
    for (const ok of ['node_modules', '.venv', 'vendor', 'packages/app/node_modules']) expect(sharedDirProblem(ok)).toBeUndefined();
    for (const bad of ['', '/abs', '../x', 'a/../b', 'a//b', './x', 'x/', 'node_*', 'a?', '[ab]', '!x', '#x', 'a\\b', '.git', '.git/hooks']) {
      expect(sharedDirProblem(bad)).toBeDefined();
    }
    expect(() => assertValidSharedDirs(['ok', '../no'])).toThrow(expect.objectContaining({ code: 'workspace.invalid_name' }));
  });
});

describe('withExcludeBlock', () => {
  const stock = '# git ls-files --others --exclude-from=.git/info/exclude\n# *~\n';

  it('appends an anchored, slash-less pattern per folder, keeping the rest of the file', () => {
    const next = withExcludeBlock(stock, ['node_modules', 'packages/app/node_modules']);
    expect(next).toBe(`${stock}${EXCLUDE_BEGIN}\n/node_modules\n/packages/app/node_modules\n${EXCLUDE_END}\n`);
  });

  it('is idempotent and returns the same string when nothing is missing', () => {
    const once = withExcludeBlock(stock, ['node_modules']);
    expect(withExcludeBlock(once, ['node_modules'])).toBe(once);
  });

  it('extends an existing block in place and keeps user lines after it', () => {
    const once = withExcludeBlock('', ['node_modules']) + '*.log\n';
    expect(withExcludeBlock(once, ['node_modules', '.venv'])).toBe(`${EXCLUDE_BEGIN}\n/node_modules\n/.venv\n${EXCLUDE_END}\n*.log\n`);
  });

  it('handles a file without a final newline and an empty one', () => {
    expect(withExcludeBlock('*.tmp', ['x'])).toBe(`*.tmp\n${EXCLUDE_BEGIN}\n/x\n${EXCLUDE_END}\n`);
    expect(withExcludeBlock('', [])).toBe(`${EXCLUDE_BEGIN}\n${EXCLUDE_END}\n`);
  });
});
