/**
 * Exactly-once agent events under faults. Real: pi with the scripted model, git worktrees, Redis,
 * PostgreSQL. Faulted: the agent actor's `agent.event` executor, the first time each of its effects
 * runs — alternately a crash after the turn committed but before the effect ran, and after it ran
 * but before the turn was acknowledged (the runtime then runs the committed outbox again with the
 * same effect ids); and one `agent.stop` turn that fails after doing its work, so the runtime runs
 * the whole turn again.
 */
import type { ActorDefinition } from '@godel/actors';
import { AGENT_EFFECTS, agentAddress, type AgentState } from '@godel/agents';
import { effectFaults } from '../effect-fault-kit';
import { createAgentFixture, type AgentFixture } from './agent-fixture';

function faulty() {
  // First runs alternate: a fault before the effect, then one after it (re-runs go through).
  const x = effectFaults({ at: (_e, n) => (n === 0 ? undefined : n % 2 === 1 ? 'before' : 'after') });
  let stopFailed = false;
  const wrapAgent = (def: ActorDefinition<AgentState>): ActorDefinition<AgentState> => ({
    ...x.wrap(def),
    async receive(s, msg, ctx) {
      const next = await def.receive(s, msg, ctx);
      if (msg.type === 'agent.stop' && !stopFailed) {
        stopFailed = true;
        throw new Error('fault: the stop turn failed after emitting its events; the runtime runs it again');
      }
      return next;
    },
  });
  return { calls: x.calls, faults: x.faults, wrapAgent, stopRetried: () => stopFailed };
}

describe('agent events under faults between commit, effect and ack, and a re-run turn', () => {
  let f: AgentFixture;
  afterEach(async () => {
    await f?.close();
  });

  it('appends every event of a committed turn exactly once, and none twice from a re-run turn', async () => {
    const x = faulty();
    f = await createAgentFixture(
      {
        edit: [{ toolCalls: [{ name: 'write', arguments: { path: 'a.txt', content: 'a\n' } }] }, { text: 'Wrote a.txt.' }, { text: 'Nothing more to do.' }],
      },
      { wrapAgent: x.wrapAgent },
    );
    const a = agentAddress('once', 'w1');
    await f.start(a, { prompt: '[script:edit] write a.txt' });
    await f.until(a, (s) => s.status === 'idle', 60000);
    await f.rt.system.ask(a, 'agent.prompt', { text: '[script:edit] anything else?' }, 60000);
    await f.until(a, (s) => s.status === 'idle' && s.usage.total > 0, 60000);
    const stopped = await f.rt.system.ask<AgentState>(a, 'agent.stop', { reason: 'done' }, 60000);
    expect(stopped.status).toBe('stopped');
    await f.events.flush();

    // Both kinds of fault happened, and the stop turn ran twice.
    expect(x.faults.some((q) => q.at === 'before')).toBe(true);
    expect(x.faults.some((q) => q.at === 'after')).toBe(true);
    expect(x.stopRetried()).toBe(true);
    const ids = new Set(x.calls.filter((c) => c.type === AGENT_EFFECTS.event).map((c) => c.id));
    expect(x.calls.length).toBeGreaterThan(ids.size); // effects really ran again

    // Each committed event effect is stored once, under its own id.
    const rows: Array<{ idem_key: string; n: string }> = await f.env.dataSource.query(`SELECT idem_key, count(*) AS n FROM events WHERE agent = $1 AND idem_key IS NOT NULL GROUP BY idem_key`, [a]);
    expect(new Set(rows.map((r) => r.idem_key))).toEqual(ids);
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);

    // The turn events, by type: one per turn that emits it (the re-run stop turn included).
    const types = (await f.events.list({ agent: a })).map((e) => e.type);
    const count = (t: string) => types.filter((y) => y === t).length;
    expect(count('agent.preparing')).toBe(1);
    expect(count('agent.started')).toBe(1);
    expect(count('agent.prompted')).toBe(2);
    expect(count('agent.turn_completed')).toBe(2);
    expect(count('agent.stopped')).toBe(1);
  }, 240000);
});
