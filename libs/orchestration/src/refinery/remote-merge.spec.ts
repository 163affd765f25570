import { WorkspaceError } from '@godel/workspace';
import { remoteFailureDetail } from './remote-merge';

const URL = 'git://127.0.0.1:9418/app.git';

describe('remoteFailureDetail', () => {
  it('names the code, the remote, the target and what to do for a remote that refused or is gone', () => {
    const refused = remoteFailureDetail(new WorkspaceError('workspace.push_refused', 'the remote refused the push: pre-receive hook declined\nmore'), URL, 'main', 5);
    expect(refused).toMatch(/^workspace\.push_refused: the remote git:\/\/127\.0\.0\.1:9418\/app\.git refused the push to main .*allow Godel's fast-forward pushes to main, then run the task again \(the remote refused the push: pre-receive hook declined\)$/);
    expect(remoteFailureDetail(new WorkspaceError('workspace.auth_failed', 'no'), URL, 'main', 5)).toContain('GODEL_GIT_CREDENTIALS');
    expect(remoteFailureDetail(new WorkspaceError('workspace.unreachable', 'down'), URL, 'main', 5)).toContain(`${URL} could not be reached in 5 tries`);
  });

  it('leaves any other failure as it was (undefined: the error message is the detail)', () => {
    expect(remoteFailureDetail(new WorkspaceError('workspace.git_failed', 'x'), URL, 'main', 5)).toBeUndefined();
    expect(remoteFailureDetail(new Error('boom'), URL, 'main', 5)).toBeUndefined();
  });
});
