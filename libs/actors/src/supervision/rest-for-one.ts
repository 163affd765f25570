import { SupervisorStrategy } from './strategy';

/**
 * OTP `rest_for_one`: the failed child and every child started after it are restarted; children
 * started earlier (which later ones may depend on, never the reverse) keep running.
 */
export class RestForOneStrategy extends SupervisorStrategy {
  protected override restartSet(failedChild: string, children: readonly string[]): string[] {
    return children.slice(children.indexOf(failedChild));
  }
}
