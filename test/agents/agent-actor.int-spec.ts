/**
 * Agent actors end to end. Real: `pi` processes in --mode rpc, git worktrees, the actor runtime on
 * Redis + PostgreSQL, the event log and session store. The model is the scripted OpenAI-compatible
 * server ("scripted model (offline)"). Mocked: nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { agentAddress, type AgentState } from '@godel/agents';
import { SessionStore } from '@godel/persistence';
import { createAgentFixture, git as sh, type AgentFixture } from './agent-fixture';

describe('agent actors with real pi processes', () => {
  let f: AgentFixture;

  beforeAll(async () => {
    f = await createAgentFixture({
      edit: [
        { toolCalls: [{ name: 'write', arguments: { path: 'hello.txt', content: 'hello\n' } }] },
        { toolCalls: [{ name: 'bash', arguments: { command: 'git add hello.txt && git -c user.name=agent -c user.email=a@godel.invalid commit -qm "add hello"' } }] },
        { text: 'Committed hello.txt.' },
      ],
      crash: [
        { delayMs: 6000, text: 'this answer is never delivered: the process is killed first' },
        { toolCalls: [{ name: 'write', arguments: { path: 'resumed.txt', content: 'resumed\n' } }] },
        { text: 'Finished after the restart.' },
      ],
      failover: [{ error: { status: 500, message: 'primary provider is down' } }, { text: 'the backup answered' }],
      costly: [{ text: 'that was expensive', usage: { promptTokens: 5000, completionTokens: 1000 } }],
      escape: [
        { toolCalls: [{ name: 'read', arguments: { path: '../../../../../../etc/passwd' } }] },
        { toolCalls: [{ name: 'bash', arguments: { command: 'cat /etc/passwd' } }] },
        { text: 'I could not read it.' },
      ],
    });
  }, 60000);

  afterAll(async () => f?.close());

  const until = (a: string, pred: (s: AgentState) => boolean, timeoutMs?: number) => f.until(a, pred, timeoutMs);
  const start = (a: string, extra: Record<string, unknown>) => f.start(a, extra);

  it('edits and commits in its own worktree and branch; events and session are stored', async () => {
    const a = agentAddress('t1', 'w1');
    await start(a, { prompt: '[script:edit] add a hello file and commit it' });
    const s = await until(a, (x) => x.status === 'idle');
    expect(s.branch).toBe('godel/t1/w1');
    expect(existsSync(join(s.worktree!, 'hello.txt'))).toBe(true);
    expect(existsSync(join(f.repo, 'hello.txt'))).toBe(false); // the main checkout is untouched
    expect(sh(f.repo, 'log', '-1', '--format=%s', 'godel/t1/w1')).toBe('add hello');
    const recorded = await f.events.list({ agent: a });
    const tools = recorded.filter((e) => e.type === 'agent.tool_started').map((e) => e.data.tool);
    expect(tools).toEqual(['write', 'bash']);
    expect(recorded.map((e) => e.type)).toEqual(expect.arrayContaining(['agent.preparing', 'agent.started', 'agent.turn_completed']));
    expect(s.usage.total).toBeGreaterThan(0);
    const session = await new SessionStore(f.env.dataSource).load(a);
    expect(session?.content).toContain('hello.txt');
  }, 60000);

  it('SIGKILL of pi mid-turn: noticed at once, restarted on its stored session, finishes the task', async () => {
    const a = agentAddress('t2', 'w1');
    await start(a, { prompt: '[script:crash] write resumed.txt' });
    await until(a, (x) => x.status === 'running');
    await new Promise((r) => setTimeout(r, 800)); // the model is "thinking" (delayed step)
    const pid = f.host.get(a)!.pid;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const s = await until(a, (x) => x.status === 'idle', 40000);
    expect(f.host.get(a)!.pid).not.toBe(pid);
    expect(existsSync(join(s.worktree!, 'resumed.txt'))).toBe(true);
    // the exit was seen and led to a restart (how fast is measured by bench:agents, not asserted here)
    const exited = (await f.events.list({ agent: a, type: 'agent.exited' }))[0];
    const restarted = (await f.events.list({ agent: a, type: 'agent.restarted' }))[0];
    expect(exited.data.signal).toBe('SIGKILL');
    expect(restarted.seq).toBeGreaterThan(exited.seq);
    expect(new Date(exited.at).getTime()).toBeGreaterThanOrEqual(killedAt - 5);
    // the restarted process continued the same conversation (the first prompt is in its history)
    const lastRequest = f.model.requests[f.model.requests.length - 1];
    expect(JSON.stringify(lastRequest.body)).toContain('[script:crash] write resumed.txt');
  }, 60000);

  it('provider failover: the first provider answers 500, the next serves, a provider.failover event names the cause', async () => {
    const a = agentAddress('t3', 'w1');
    await start(a, { prompt: '[script:failover] say something' });
    const s = await until(a, (x) => x.status === 'idle');
    expect(s.providerIndex).toBe(1);
    const fo = await f.events.list({ agent: a, type: 'provider.failover' });
    expect(fo).toHaveLength(1);
    expect(String(fo[0].data.cause)).toContain('500');
    expect(fo[0].data.to).toBe('backup/scripted-b');
  }, 60000);

  it('stops an agent that crosses its token budget with budget.exceeded', async () => {
    const a = agentAddress('t4', 'w1');
    await start(a, { prompt: '[script:costly] go', budget: { tokens: 1000 } });
    const s = await until(a, (x) => x.status === 'stopped');
    expect(s.reason).toBe('budget.exceeded');
    expect(s.usage.total).toBeGreaterThanOrEqual(1000);
    expect(f.host.has(a)).toBe(false);
    expect(await f.events.list({ agent: a, type: 'budget.exceeded' })).toHaveLength(1);
  }, 60000);

  it('stops an agent when its team crosses the team budget, summed over the team', async () => {
    const first = agentAddress('t7', 'w1');
    await start(first, { prompt: '[script:costly] one', teamBudget: { tokens: 9000 } });
    await until(first, (x) => x.status === 'idle'); // 6,000 tokens: under the team's 9,000
    const second = agentAddress('t7', 'w2');
    await start(second, { prompt: '[script:costly] two', teamBudget: { tokens: 9000 } });
    const s = await until(second, (x) => x.status === 'stopped');
    expect(s.reason).toBe('budget.exceeded');
    const ev = await f.events.list({ agent: second, type: 'budget.exceeded' });
    expect(ev[0].data).toMatchObject({ scope: 'team', teamUsage: { total: s.usage.total * 2 } });
  }, 60000);

  it('path guard: reads outside the worktree are refused and recorded as guard.denied events', async () => {
    const a = agentAddress('t6', 'w1');
    await start(a, { prompt: '[script:escape] read the password file' });
    await until(a, (x) => x.status === 'idle');
    await f.events.flush();
    const denied = await f.events.list({ agent: a, type: 'guard.denied' });
    expect(denied.map((d) => d.data.toolName)).toEqual(['read', 'bash']);
    const seen = JSON.stringify(f.model.requests.map((r) => r.body));
    expect(seen).not.toMatch(/root:x:0:0/);
  }, 60000);

  it('bad input: a path that is not a repository fails the agent with the reason and leaves nothing behind', async () => {
    const a = agentAddress('t5', 'w1');
    const notRepo = join(f.root, 'not-a-repo');
    await mkdir(notRepo);
    const s = await f.rt.system.ask<AgentState>(a, 'agent.start', { repo: notRepo, providers: f.providers }, 30000);
    expect(s.status).toBe('failed');
    expect(s.reason).toMatch(/workspace\.not_a_repo/);
    expect(f.host.has(a)).toBe(false);
    expect(existsSync(join(f.root, 'worktrees', 't5'))).toBe(false);
  }, 30000);
});
