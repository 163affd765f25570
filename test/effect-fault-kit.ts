/**
 * Faults around an actor kind's custom effect executors, for the exactly-once tests: the plan says
 * which runs fail and where — `before` (the instance died after the turn committed, before this
 * effect ran) or `after` (it ran, and the instance died before the turn was acknowledged). The
 * runtime then runs the committed outbox again with the same effect ids. Nothing is mocked: the
 * wrapped executors are the kind's own.
 */
import type { ActorDefinition, CustomEffect, EffectExecutor } from '@godel/actors';

export type FaultAt = 'before' | 'after';

export interface EffectFaultPlan {
  /** `n` counts first runs of an effect id (1, 2, …); a re-run of an id already seen gets 0. */
  at(e: CustomEffect, n: number): FaultAt | undefined;
  /** Runs the real executor (a test wraps it to observe what it did to the world). */
  around?(e: CustomEffect, run: () => Promise<void>): Promise<void>;
}

export interface EffectFaults {
  /** Every run of every wrapped executor, in order (a re-run appears again with the same id). */
  calls: CustomEffect[];
  faults: Array<{ id: string; at: FaultAt }>;
  /** The definition with each of its effect executors wrapped. */
  wrap<S>(def: ActorDefinition<S>): ActorDefinition<S>;
  /** The calls of the effect ids that were faulted, each with how many times it ran. */
  rerunsOfFaults(): number[];
}

export function effectFaults(plan: EffectFaultPlan): EffectFaults {
  const calls: CustomEffect[] = [];
  const faults: Array<{ id: string; at: FaultAt }> = [];
  let firstRuns = 0;
  const wrapOne =
    (run: EffectExecutor): EffectExecutor =>
    async (e) => {
      const fresh = !calls.some((c) => c.id === e.id);
      calls.push(e);
      const at = plan.at(e, fresh ? ++firstRuns : 0);
      if (at === 'before') {
        faults.push({ id: e.id, at });
        throw new Error('fault: the instance died after commit, before this effect ran');
      }
      await (plan.around ? plan.around(e, () => run(e)) : run(e));
      if (at === 'after') {
        faults.push({ id: e.id, at });
        throw new Error('fault: the instance died after this effect ran, before the ack');
      }
    };
  return {
    calls,
    faults,
    wrap: (def) => ({ ...def, effects: Object.fromEntries(Object.entries(def.effects ?? {}).map(([type, run]) => [type, wrapOne(run)])) }),
    rerunsOfFaults: () => faults.map((q) => calls.filter((c) => c.id === q.id).length),
  };
}
