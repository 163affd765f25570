import { classifyRemoteError } from './remote-git';

/** A failed git call as the runner throws it: message and stderr (pure: no git runs here). */
const failed = (stderr: string) => Object.assign(new Error(`Command failed: git push\n${stderr}`), { details: { stderr } });

describe('classifyRemoteError', () => {
  it('tells a push refused by a rule (hook, protected branch) from a moved remote, a refused login and a remote gone', () => {
    const hook = ' ! [remote rejected] main -> main (pre-receive hook declined)\nerror: failed to push some refs to \'git://127.0.0.1/app.git\'';
    expect(classifyRemoteError(failed(hook)).code).toBe('workspace.push_refused');
    expect(classifyRemoteError(failed('remote: error: GH006: Protected branch update failed for refs/heads/main.\n ! [remote rejected] main -> main (protected branch hook declined)')).code).toBe('workspace.push_refused');
    expect(classifyRemoteError(failed(' ! [rejected]        main -> main (fetch first)\nhint: Updates were rejected')).code).toBe('workspace.non_fast_forward');
    expect(classifyRemoteError(failed("fatal: Authentication failed for 'https://h/x.git/'")).code).toBe('workspace.auth_failed');
    expect(classifyRemoteError(failed('fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused')).code).toBe('workspace.unreachable');
  });

  it('is not retryable when refused by a rule (someone must change it); a remote that is down is', () => {
    expect(classifyRemoteError(failed(' ! [remote rejected] main -> main (pre-receive hook declined)')).retryable).toBe(false);
    expect(classifyRemoteError(failed('errno=Connection refused')).retryable).toBe(true);
  });
});
