import { GodelError } from '../errors/godel-error';
import { defaultDecider } from './directive';

class BudgetSpent extends GodelError {
  readonly code = 'agent.budget_spent';
  readonly retryable = false;
}
class ProviderDown extends GodelError {
  readonly code = 'agent.provider_down';
  readonly retryable = true;
}

describe('defaultDecider', () => {
  it('restarts ordinary and retryable failures', () => {
    expect(defaultDecider(new Error('crashed'), 1)).toBe('restart');
    expect(defaultDecider(new ProviderDown('503'), 7)).toBe('restart');
    expect(defaultDecider('exit code 137', 1)).toBe('restart');
    expect(defaultDecider(undefined, 1)).toBe('restart');
  });

  it('stops on non-retryable errors, also in their serialized JSON form', () => {
    const error = new BudgetSpent('budget spent');
    expect(defaultDecider(error, 1)).toBe('stop');
    expect(defaultDecider(JSON.parse(JSON.stringify(error)), 1)).toBe('stop');
  });
});
