/** Shared fixture of the WorktreeManager specs: a fresh temp repository per test, and small helpers. */
import { WorktreeManager } from '../src/worktree-manager';
import { makeTempRepo, type TempRepo } from './temp-repo';

/**
 * Registers a fresh temp repository (README.md, src/index.ts) for each test of the calling file and
 * returns a view of the current one.
 */
export function tempRepoPerTest(): TempRepo {
  let t: TempRepo | undefined;
  beforeEach(async () => {
    t = await makeTempRepo({ 'README.md': '# demo\n', 'src/index.ts': 'export {};\n' });
  });
  afterEach(async () => {
    await t?.dispose();
  });
  const cur = (): TempRepo => {
    if (!t) throw new Error('no temp repository outside a test');
    return t;
  };
  return {
    get dir() {
      return cur().dir;
    },
    get repo() {
      return cur().repo;
    },
    get worktreesRoot() {
      return cur().worktreesRoot;
    },
    get git() {
      return cur().git;
    },
    run: (args, cwd) => cur().run(args, cwd),
    commit: (files, message, cwd) => cur().commit(files, message, cwd),
    dispose: () => cur().dispose(),
  };
}

/** A manager of the current temp repository. */
export function managerOf(t: TempRepo, extra: Partial<ConstructorParameters<typeof WorktreeManager>[0]> = {}): WorktreeManager {
  return new WorktreeManager({ repoPath: t.repo, worktreesRoot: t.worktreesRoot, ...extra });
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  expect((err as { code?: string }).code).toBe(code);
}

/**
 * Waits for every promise (none may outlive the test and write into a disposed temp dir), then
 * fails with all rejection reasons, or returns the values.
 */
export async function allOrReasons<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const reasons = settled.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []));
  expect(reasons).toEqual([]);
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
