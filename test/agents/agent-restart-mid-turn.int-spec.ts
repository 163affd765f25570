/**
 * An agent restarted mid-turn (the team's monitor, an operator) goes on with its prompt on a new
 * process: the turn the stopped process aborts ends late ("Connection error.", "aborted"), and that
 * end is not the agent's — it used to fail the new process (chaos seed 1275412354: a coordinator
 * restarted while planning failed with "model error: Connection error." and took its team down).
 * Real: pi with the scripted model, a git worktree, Redis, PostgreSQL. Tried: a restart while the
 * model's answer is still on its way.
 */
import { agentAddress, type AgentState } from '@godel/agents';
import { createAgentFixture, type AgentFixture } from './agent-fixture';

describe('an agent restarted mid-turn', () => {
  let f: AgentFixture;
  afterAll(async () => f?.close());

  it('does not fail on the stopped process late turn end; the new process takes the prompt up and ends the turn', async () => {
    f = await createAgentFixture({ slow: [{ toolCalls: [{ name: 'write', arguments: { path: 'a.txt', content: 'a\n' } }], delayMs: 2500 }, { text: 'Wrote a.txt.' }] });
    const a = agentAddress('rmt', 'w1');
    await f.start(a, {});
    await f.until(a, (s) => s.status === 'idle', 60000);
    const firstPid = f.host.pidOf(a);
    expect(firstPid).toEqual(expect.any(Number));
    await f.rt.system.ask<AgentState>(a, 'agent.prompt', { text: '[script:slow] write a.txt', id: 'rmt/w1/1' }, 60000);
    await f.until(a, () => f.model.requests.length > 0, 30000);
    await f.rt.system.ask(a, 'agent.restart', { reason: 'test: restarted mid-turn' }, 60000);
    const done = await f.until(a, (s) => s.status !== 'running' && s.status !== 'starting', 90000);
    expect({ status: done.status, reason: done.reason ?? null }).toEqual({ status: 'idle', reason: null });
    expect(f.host.pidOf(a)).not.toBe(firstPid);
    // The new process took the prompt up again (the scripted model answers its resume with text).
    expect(f.model.requests.length).toBeGreaterThanOrEqual(2);
    await f.events.flush();
    const types = (await f.events.list({ agent: a })).map((e) => e.type);
    expect(types).not.toContain('agent.failed');
    expect(types.indexOf('agent.turn_completed')).toBeGreaterThan(types.indexOf('agent.restarted'));
  }, 150000);
});
