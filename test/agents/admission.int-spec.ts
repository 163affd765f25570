/**
 * Admission control: more agents started at once than the instance starts at a time wait in line
 * (`agent.queued`, positions only shrinking) and all of them start and work; none fails with a
 * readiness timeout. Real: pi processes in the sandbox, git worktrees, Redis, PostgreSQL; the
 * scripted model. Mocked: nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentAddress, type AgentState } from '@godel/agents';
import { createAgentFixture, type AgentFixture } from './agent-fixture';

describe('admission control of agent starts', () => {
  let f: AgentFixture;
  beforeAll(async () => {
    f = await createAgentFixture(
      {
        own: (r) => {
          const who = /agent=(\S+)/.exec(r.firstUserMessage)?.[1] ?? 'unknown';
          return [{ toolCalls: [{ name: 'write', arguments: { path: 'who.txt', content: `${who}\n` } }] }, { text: `done ${who}` }][r.index] ?? { text: 'nothing more' };
        },
      },
      // A short readiness deadline: without the queue, 12 pi starting at once on a small box miss it.
      { admission: { startConcurrency: 2, maxAgents: 50 }, startTimeoutMs: 20000 },
    );
  }, 60000);
  afterAll(async () => f?.close());

  it('12 agents started at once with 2 starts at a time: queued in order, all reach idle after a write + text turn', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `q${i}`);
    const replies = await Promise.all(names.map((n) => f.start(agentAddress('adm', n), { prompt: `[script:own] agent=${n} write your name` })));
    const queued = replies.filter((s) => s.queue);
    expect(queued.length).toBeGreaterThan(0);
    // While waiting, the agent's state shows its live place in line.
    const waiting = queued.at(-1)!;
    const seen = await f.get(agentAddress('adm', waiting.name));
    if (seen.queue) expect(seen.queue.position).toBeLessThanOrEqual(waiting.queue!.position);
    expect(f.host.capacity()).toMatchObject({ startConcurrency: 2, maxAgents: 50 });
    expect(f.host.capacity().starting).toBeLessThanOrEqual(2);

    const states: AgentState[] = await Promise.all(names.map((n) => f.until(agentAddress('adm', n), (s) => (s.status === 'idle' && !!s.usage.total) || s.status === 'failed', 180000)));
    for (const [i, s] of states.entries()) {
      expect(s.status).toBe('idle');
      expect(s.queue).toBeUndefined();
      expect(readFileSync(join(s.worktree!, 'who.txt'), 'utf8')).toBe(`${names[i]}\n`);
    }
    await f.events.flush();
    expect(await f.events.list({ team: 'adm', type: 'agent.failed' })).toEqual([]);
    const positions = new Map<string, number[]>();
    for (const e of await f.events.list({ team: 'adm', type: 'agent.queued' })) {
      positions.set(e.agent, [...(positions.get(e.agent) ?? []), (e.data as { position: number }).position]);
    }
    expect(positions.size).toBe(queued.length);
    for (const list of positions.values()) {
      for (let i = 1; i < list.length; i++) expect(list[i]).toBeLessThan(list[i - 1]);
    }
    expect(f.host.capacity()).toMatchObject({ live: 12, starting: 0, queued: 0 });
  }, 240000);

  it('a queued start that is stopped gives its place up', async () => {
    const busy = Array.from({ length: 4 }, (_, i) => agentAddress('adm2', `b${i}`));
    const replies = await Promise.all(busy.map((a) => f.start(a, {})));
    const queued = replies.filter((s) => s.queue);
    if (queued.length > 0) {
      const victim = agentAddress('adm2', queued.at(-1)!.name);
      const stopped = await f.rt.system.ask<AgentState>(victim, 'agent.stop', { reason: 'not needed' }, 30000);
      expect(stopped.status).toBe('stopped');
      expect(f.host.queuePosition(victim)).toBeUndefined();
    }
    for (const a of busy) await f.until(a, (s) => s.status === 'idle' || s.status === 'stopped', 120000);
    expect(f.host.capacity().queued).toBe(0);
  }, 180000);
});

describe('admission control by live agents (GODEL_MAX_AGENTS)', () => {
  let f: AgentFixture;
  beforeAll(async () => {
    f = await createAgentFixture({ hi: [{ text: 'hello' }] }, { admission: { startConcurrency: 1, maxAgents: 1 } });
  }, 60000);
  afterAll(async () => f?.close());

  it('a start beyond the cap waits with its position in its state until a live agent stops, then runs its prompt', async () => {
    const first = agentAddress('cap', 'first');
    const second = agentAddress('cap', 'second');
    expect((await f.start(first, {})).status).toBe('idle');
    const queued = await f.start(second, { prompt: '[script:hi] say hello' });
    expect(queued).toMatchObject({ status: 'starting', queue: { position: 1 } });
    expect(await f.get(second)).toMatchObject({ status: 'starting', queue: { position: 1, prompt: '[script:hi] say hello' } });
    expect(f.host.capacity()).toMatchObject({ live: 1, queued: 1, maxAgents: 1 });
    expect(f.host.has(second)).toBe(false);
    await f.rt.system.ask(first, 'agent.stop', { reason: 'make room' }, 30000);
    const s = await f.until(second, (st) => st.status === 'idle' && st.usage.total > 0, 60000);
    expect(s.queue).toBeUndefined();
    expect(f.host.capacity()).toMatchObject({ live: 1, queued: 0 });
    await f.events.flush();
    const started = (await f.events.list({ agent: second, type: 'agent.started' }))[0];
    expect(Number(started.data.queuedMs)).toBeGreaterThan(0);
    expect((await f.events.list({ agent: second, type: 'agent.queued' })).map((e) => e.data.position)).toEqual([1]);
  }, 120000);
});
