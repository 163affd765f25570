/**
 * A prompt with an id is taken once (issue 15: a team resends a prompt the agent shows no sign of).
 * Real: pi with the scripted model, a git worktree, Redis, PostgreSQL. Tried: the same prompt again
 * while its turn runs, again after the turn ended, and the team's promptsTaken read that tells a
 * taken prompt from one never seen; a different prompt mid-turn is still refused.
 */
import { agentAddress, type AgentState } from '@godel/agents';
import { createAgentFixture, type AgentFixture } from './agent-fixture';

describe('a prompt with an id is taken once', () => {
  let f: AgentFixture;
  afterAll(async () => f?.close());

  it('the same id again, mid-turn or after it, starts no second turn; the event log says which prompt was taken', async () => {
    f = await createAgentFixture({ slow: [{ toolCalls: [{ name: 'write', arguments: { path: 'a.txt', content: 'a\n' } }], delayMs: 1500 }, { text: 'Wrote a.txt.' }] });
    const a = agentAddress('once', 'w1');
    await f.start(a, {});
    await f.until(a, (s) => s.status === 'idle', 60000);
    expect((await f.events.promptsTaken([a])).get(a)).toBeUndefined();

    const prompt = { text: '[script:slow] write a.txt', id: 'once/w1/1' };
    const first = await f.rt.system.ask<AgentState>(a, 'agent.prompt', prompt, 60000);
    expect(first).toMatchObject({ status: 'running', promptId: 'once/w1/1' });
    // Again while the turn runs: no error, no second turn.
    const again = await f.rt.system.ask<AgentState>(a, 'agent.prompt', prompt, 60000);
    expect(again.status).toBe('running');
    // Another prompt mid-turn is still refused (one turn at a time).
    await expect(f.rt.system.ask(a, 'agent.prompt', { text: 'something else', id: 'once/w1/2' }, 60000)).rejects.toThrow(/running/);
    await f.until(a, (s) => s.status === 'idle' && s.usage.total > 0, 60000);
    const requests = f.model.requests.length;
    // Again after the turn ended (the team never saw a sign of it): still nothing new.
    const late = await f.rt.system.ask<AgentState>(a, 'agent.prompt', prompt, 60000);
    expect(late.status).toBe('idle');
    await f.events.flush();
    expect(f.model.requests.length).toBe(requests);
    const prompted = (await f.events.list({ agent: a })).filter((e) => e.type === 'agent.prompted');
    expect(prompted.map((e) => e.data.promptId)).toEqual(['once/w1/1']);
    expect((await f.events.promptsTaken([a, agentAddress('once', 'nobody')])).get(a)).toBe('once/w1/1');
  }, 120000);
});
