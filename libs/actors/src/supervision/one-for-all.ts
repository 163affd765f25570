import { SupervisorStrategy } from './strategy';

/** OTP `one_for_all`: one failure restarts every child, for children that only work together. */
export class OneForAllStrategy extends SupervisorStrategy {
  protected override restartSet(_failedChild: string, children: readonly string[]): string[] {
    return [...children];
  }
}
