import { parseWorktreePorcelainZ } from './worktree-porcelain';

const z = (...fields: string[]) => fields.join('\0');

describe('parseWorktreePorcelainZ', () => {
  it('parses main, linked, locked, prunable, detached and bare entries', () => {
    const output = z(
      'worktree /r', 'HEAD 1111', 'branch refs/heads/main', '',
      'worktree /w/t/a', 'HEAD 2222', 'branch refs/heads/godel/t/a', 'locked busy', '',
      'worktree /w/t/b', 'HEAD 3333', 'branch refs/heads/godel/t/b', 'prunable gitdir file points to non-existent location', '',
      'worktree /w/t/c', 'HEAD 4444', 'detached', 'locked', '',
      'worktree /bare', 'bare', '',
      '',
    );
    expect(parseWorktreePorcelainZ(output)).toEqual([
      { path: '/r', head: '1111', branch: 'refs/heads/main', bare: false, detached: false },
      { path: '/w/t/a', head: '2222', branch: 'refs/heads/godel/t/a', bare: false, detached: false, locked: 'busy' },
      { path: '/w/t/b', head: '3333', branch: 'refs/heads/godel/t/b', bare: false, detached: false, prunable: 'gitdir file points to non-existent location' },
      { path: '/w/t/c', head: '4444', bare: false, detached: true, locked: '' },
      { path: '/bare', bare: true, detached: false },
    ]);
  });

  it('keeps paths with spaces and newlines whole', () => {
    expect(parseWorktreePorcelainZ(z('worktree /w/with space/and\nnewline', 'HEAD 1', 'detached', '', ''))).toEqual([
      { path: '/w/with space/and\nnewline', head: '1', bare: false, detached: true },
    ]);
  });

  it('ignores unknown attributes and copes with a missing final separator', () => {
    expect(parseWorktreePorcelainZ(z('worktree /a', 'HEAD 1', 'future-attr x', 'branch refs/heads/x'))).toEqual([
      { path: '/a', head: '1', branch: 'refs/heads/x', bare: false, detached: false },
    ]);
    expect(parseWorktreePorcelainZ('')).toEqual([]);
  });
});
