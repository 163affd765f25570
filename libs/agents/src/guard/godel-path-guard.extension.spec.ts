import { readGuardConfig, summarizeInput } from './godel-path-guard.extension';

describe('path guard extension configuration', () => {
  it('reads the worktree, log and read roots from the environment', () => {
    expect(readGuardConfig({ GODEL_WORKTREE: '/w', GODEL_GUARD_LOG: '/l.jsonl', GODEL_GUARD_READ_ROOTS: '["/r"]' })).toEqual({ worktree: '/w', logFile: '/l.jsonl', readRoots: ['/r'] });
    expect(readGuardConfig({ GODEL_WORKTREE: '/w', GODEL_GUARD_LOG: '' })).toEqual({ worktree: '/w', logFile: undefined, readRoots: [] });
  });

  it('throws (so pi refuses to start) when the configuration is missing or wrong', () => {
    expect(() => readGuardConfig({})).toThrow(/GODEL_WORKTREE must be the absolute path/);
    expect(() => readGuardConfig({ GODEL_WORKTREE: 'rel' })).toThrow(/GODEL_WORKTREE/);
    expect(() => readGuardConfig({ GODEL_WORKTREE: '/w', GODEL_GUARD_LOG: 'rel.jsonl' })).toThrow(/GODEL_GUARD_LOG/);
    expect(() => readGuardConfig({ GODEL_WORKTREE: '/w', GODEL_GUARD_READ_ROOTS: '["rel"]' })).toThrow(/GODEL_GUARD_READ_ROOTS/);
    expect(() => readGuardConfig({ GODEL_WORKTREE: '/w', GODEL_GUARD_READ_ROOTS: '{' })).toThrow();
  });

  it('keeps the record small: long strings cut, big structures elided', () => {
    const input = summarizeInput({ path: 'a', content: 'x'.repeat(5_000), edits: Array.from({ length: 500 }, () => ({ oldText: 'aaaa', newText: 'b' })), small: [1] });
    expect(input.path).toBe('a');
    expect(String(input.content)).toMatch(/^x{2000}… \(5000 characters\)$/);
    expect(input.edits).toBe('[array omitted]');
    expect(input.small).toEqual([1]);
  });
});
