import { SupervisorStrategy } from './strategy';

/** OTP `one_for_one`: only the failed child is restarted; siblings are independent. */
export class OneForOneStrategy extends SupervisorStrategy {
  protected override restartSet(failedChild: string): string[] {
    return [failedChild];
  }
}
