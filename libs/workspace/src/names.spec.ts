import fc from 'fast-check';
import { assertValidName, baseRefProblem, branchName, nameProblem, parseBranchName } from './names';

describe('team/agent names', () => {
  it.each(['a', 'a1', '3f2a', 'auth-rework', 'worker_2', 'v1.2', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(nameProblem(name)).toBeUndefined();
  });

  it.each(['', '.', '..', '.hidden', '-x', '_x', 'a/b', 'a\\b', '../x', 'a..b', 'x.', 'x.lock', 'Agent', 'a b', 'a:b', 'a~1', 'a^', 'a@{1}', 'x'.repeat(65), 'é'])(
    'rejects %j',
    (name) => {
      expect(nameProblem(name)).toBeDefined();
      expect(() => assertValidName(name, 'agent')).toThrow(expect.objectContaining({ code: 'workspace.invalid_name', retryable: false }));
    },
  );

  it('never accepts a name that could leave its folder or split a ref (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (name) => {
        if (nameProblem(name) !== undefined) return;
        expect(name).not.toMatch(/[/\\\0\s]/);
        expect(name.includes('..')).toBe(false);
        expect(name.startsWith('.') || name.startsWith('-')).toBe(false);
        expect(name.length).toBeLessThanOrEqual(64);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('branch names', () => {
  it('builds and parses godel/<team>/<agent>', () => {
    expect(branchName('t', 'a')).toBe('godel/t/a');
    expect(parseBranchName('godel/t/a')).toEqual({ team: 't', agent: 'a' });
    expect(parseBranchName('refs/heads/godel/t/a')).toEqual({ team: 't', agent: 'a' });
    for (const ref of ['main', 'godel/t', 'godel/t/a/b', 'other/t/a', 'godel/T/a', 'godel/../a']) expect(parseBranchName(ref)).toBeUndefined();
  });
});

describe('base refs', () => {
  it('guards against option injection and control characters only', () => {
    expect(baseRefProblem('main')).toBeUndefined();
    expect(baseRefProblem('origin/main~3')).toBeUndefined();
    expect(baseRefProblem('--upload-pack=evil')).toBeDefined();
    expect(baseRefProblem('a\nb')).toBeDefined();
    expect(baseRefProblem('')).toBeDefined();
  });
});
