/**
 * Our team/agent name rule against git's own: every name we accept must make a branch
 * `godel/<team>/<agent>` that real `git check-ref-format --branch` accepts.
 */
import fc from 'fast-check';
import { createGitRunner } from '../src/git/git-runner';
import { branchName, nameProblem } from '../src/names';
import { makeTempDir } from './temp-repo';

jest.setTimeout(30_000);

it('every accepted name is a valid git branch component (real git check-ref-format)', async () => {
  const git = createGitRunner();
  const tmp = await makeTempDir();
  try {
    const alphabet = fc.constantFrom(...'abcxyz019._-/:~^?*[@{}\\ .A'.split(''));
    const samples = fc.sample(fc.string({ unit: alphabet, minLength: 1, maxLength: 12 }), { numRuns: 3000, seed: 42 });
    const accepted = [...new Set(samples.filter((s) => nameProblem(s) === undefined))].slice(0, 150);
    expect(accepted.length).toBeGreaterThan(50); // the sample must exercise the rule, not be all rejects
    const refused: string[] = [];
    await Promise.all(
      accepted.map((name) =>
        git(['check-ref-format', '--branch', branchName(name, name)], { cwd: tmp.dir }).catch(() => refused.push(name)),
      ),
    );
    expect(refused).toEqual([]);
  } finally {
    await tmp.dispose();
  }
});
