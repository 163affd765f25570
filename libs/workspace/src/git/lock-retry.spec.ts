import { WorkspaceError } from '../errors/workspace-error';
import { backoffDelay, retryOnLock } from './lock-retry';

const gitError = (stderr: string) => new WorkspaceError('workspace.git_failed', 'git failed', { exitCode: 128, stderr, args: ['branch'] });
const LOCKED = "fatal: Unable to create '/r/.git/index.lock': File exists.";

describe('retryOnLock', () => {
  const policy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 25 };

  it('retries lock errors with growing, capped delays until success', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retryOnLock(
      async (attempt) => {
        calls++;
        if (attempt < 4) throw gitError(LOCKED);
        return 'ok';
      },
      policy,
      { sleep: async (ms) => void delays.push(ms), random: () => 1 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(delays).toEqual([10, 20, 25]);
  });

  it('passes other errors through at once', async () => {
    let calls = 0;
    const err = await retryOnLock(async () => {
      calls++;
      throw gitError("fatal: a branch named 'x' already exists");
    }, policy).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toMatchObject({ code: 'workspace.git_failed' });
  });

  it('ends with a retryable workspace.locked after the last try', async () => {
    let calls = 0;
    const err = await retryOnLock(
      async () => {
        calls++;
        throw gitError(LOCKED);
      },
      policy,
      { sleep: async () => undefined },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(err).toMatchObject({ code: 'workspace.locked', retryable: true, details: { attempts: 4, stderr: LOCKED, args: ['branch'] } });
  });

  it('jitters each delay into [50 %, 100 %] of its ceiling', () => {
    const p = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, p, () => 0)).toBe(50);
    expect(backoffDelay(1, p, () => 1)).toBe(100);
    expect(backoffDelay(3, p, () => 0.5)).toBe(300);
    expect(backoffDelay(9, p, () => 1)).toBe(1000);
  });
});
