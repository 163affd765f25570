import { isWorkspaceError, WorkspaceError } from './workspace-error';

describe('WorkspaceError', () => {
  it('carries a stable code, retryable only for held git locks, and serialises', () => {
    const err = new WorkspaceError('workspace.path_escape', 'nope', { requestedPath: '/etc' });
    expect(err.retryable).toBe(false);
    expect(new WorkspaceError('workspace.locked', 'held').retryable).toBe(true);
    expect(JSON.parse(JSON.stringify(err))).toEqual({ code: 'workspace.path_escape', message: 'nope', retryable: false, details: { requestedPath: '/etc' } });
  });

  it('is matched by code, also after crossing a process boundary as JSON', () => {
    const wire = JSON.parse(JSON.stringify(new WorkspaceError('workspace.dirty_base', 'dirty'))) as unknown;
    expect(isWorkspaceError(wire, 'workspace.dirty_base')).toBe(true);
    expect(isWorkspaceError(wire, 'workspace.unknown_ref')).toBe(false);
    expect(isWorkspaceError(wire)).toBe(true);
    expect(isWorkspaceError(new Error('x'))).toBe(false);
    expect(isWorkspaceError({ code: 'ENOENT' })).toBe(false);
  });
});
