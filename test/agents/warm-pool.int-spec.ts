/**
 * The warm pool (issue 13): pre-started sandboxed pi processes in detached worktree slots, claimed
 * by new agents. Real: pi in bubblewrap, git worktrees, Redis, PostgreSQL, the scripted model.
 * Mocked: nothing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentAddress, type AgentState } from '@godel/agents';
import type { StepRequest } from '@godel/testing';
import { createAgentFixture, git, type AgentFixture } from './agent-fixture';

/** The system prompt and every message's text, as the model received them. */
function seen(r: StepRequest): string {
  return r.body.messages.map((m) => (typeof m.content === 'string' ? m.content : (m.content ?? []).map((c) => c.text ?? '').join(''))).join('\n');
}

describe('warm pool', () => {
  let f: AgentFixture;
  const outside = `/tmp/godel-pool-escape-${process.pid}.txt`;
  beforeAll(async () => {
    f = await createAgentFixture(
      {
        // Reports which version of the worktree's .pi/APPEND_SYSTEM.md pi put into its system prompt,
        // tries to write outside the worktree, then ends the turn.
        ctx: (r) =>
          [
            { toolCalls: [{ name: 'write', arguments: { path: 'seen.txt', content: /marker-two/.test(seen(r)) ? 'two' : /marker-one/.test(seen(r)) ? 'one' : 'none' } }] },
            { toolCalls: [{ name: 'write', arguments: { path: outside, content: 'escaped' } }] },
            { text: 'done' },
          ][r.index] ?? { text: `again: ${r.body.messages.filter((m) => m.role === 'user').length} user messages` },
        hi: [{ text: 'hello' }],
      },
      { repoFiles: { 'README.md': '# pool\n', '.pi/APPEND_SYSTEM.md': 'marker-one\n' }, pool: { size: 1 }, agent: { heartbeatMs: 1000 } },
    );
  }, 60000);
  afterAll(async () => f?.close(), 120000);

  /** Like f.until, but a `get` that waits behind a long turn (a restart on a loaded box) is asked again. */
  const until = async (a: string, pred: (s: AgentState) => boolean, timeoutMs = 180000): Promise<AgentState> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await f.rt.system.ask<AgentState>(a, 'get', {}, 30000).catch(() => undefined);
      if (s && pred(s)) return s;
      if (Date.now() > end) throw new Error(`agent ${a} stuck in ${s?.status ?? 'unknown'} (${s?.reason ?? ''})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const pooled = async (n = 1, timeoutMs = 120000) => {
    // The kind the agents below are (what the first cold start teaches the pool), when a test runs alone.
    f.host.warm({ repo: f.repo, role: 'worker', providers: f.providers, readRoots: [] });
    const end = Date.now() + timeoutMs;
    while (f.host.poolPids().length < n) {
      if (Date.now() > end) throw new Error(`the pool did not fill to ${n} within ${timeoutMs} ms (${JSON.stringify(f.host.capacity())})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return f.host.poolPids();
  };
  const claimed = async (agent: string) => {
    await f.events.flush();
    return (await f.events.list({ agent, type: 'agent.pool_claimed' })).length > 0;
  };

  it('learns a kind from a cold start; a claimed process works in the agent worktree with guard and sandbox, and sees that worktree’s .pi files', async () => {
    const first = agentAddress('pool', 'first');
    expect((await f.start(first, {})).status).toBe('idle');
    expect(await claimed(first)).toBe(false);
    const [pid] = await pooled();
    expect(f.host.capacity().live).toBe(2); // the pooled process counts as a live agent
    // The base moves after the slot was filled: the claim checks out the new commit, and pi re-reads it.
    writeFileSync(join(f.repo, '.pi/APPEND_SYSTEM.md'), 'marker-two\n');
    git(f.repo, 'commit', '-qam', 'marker two');

    const a = agentAddress('pool', 'second');
    const started = await f.start(a, { prompt: '[script:ctx] report what you see' });
    expect(await claimed(a)).toBe(true);
    expect(f.host.get(a)!.pid).toBe(pid);
    expect(started.worktree).toBe(join(f.root, 'worktrees', 'pool', 'second'));
    const s = await until(a, (x) => (x.status === 'idle' && x.usage.total > 0) || x.status === 'failed', 120000);
    expect(s.status).toBe('idle');
    expect(readFileSync(join(s.worktree!, 'seen.txt'), 'utf8')).toBe('two');
    expect(git(s.worktree!, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('godel/pool/second');
    expect(git(s.worktree!, 'rev-parse', 'HEAD')).toBe(git(f.repo, 'rev-parse', 'main'));
    expect(existsSync(outside)).toBe(false);
    await f.events.flush();
    expect((await f.events.list({ agent: a, type: 'guard.denied' })).length).toBeGreaterThan(0);
    // Sandboxed: the host's child is bubblewrap, with pi below it.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toMatch(/bwrap/);
    // Its session is in the agent's own folder, stored like any other.
    expect((await f.sessions.load(a))?.content).toContain('report what you see');
  }, 300000);

  it('a pooled process that died while idle is never handed out, and is replaced', async () => {
    const [dead] = await pooled();
    process.kill(dead, 'SIGKILL');
    const a = agentAddress('pool', 'third');
    const s = await f.start(a, { prompt: '[script:hi] say hello' });
    expect(s.status === 'running' || s.status === 'idle').toBe(true);
    expect(f.host.get(a)!.pid).not.toBe(dead);
    const done = await until(a, (x) => (x.status === 'idle' && x.usage.total > 0) || x.status === 'failed', 120000);
    expect(done.status).toBe('idle');
    const [fresh] = await pooled();
    expect(fresh).not.toBe(dead);
    await f.events.flush();
    expect((await f.events.list({ agent: 'pool', type: 'agent.pool_discarded' })).length).toBeGreaterThan(0);
  }, 300000);

  it('a claimed process that crashes restarts on its session', async () => {
    await pooled();
    const a = agentAddress('pool', 'fourth');
    await f.start(a, { prompt: '[script:ctx] report what you see' });
    expect(await claimed(a)).toBe(true);
    await until(a, (x) => (x.status === 'idle' && x.usage.total > 0) || x.status === 'failed', 120000);
    const pid = f.host.get(a)!.pid;
    process.kill(pid, 'SIGKILL');
    const back = await until(a, (x: AgentState) => x.restarts.length > 0 && x.status === 'idle' && f.host.has(a) && f.host.get(a)!.pid !== pid, 120000);
    expect(back.status).toBe('idle');
    // The restarted process continues the conversation: the model sees the first prompt again.
    expect(await f.host.hasConversation(a)).toBe(true);
    await f.rt.system.ask(a, 'agent.prompt', { text: 'anything else?' }, 30000);
    const after = await until(a, (x) => x.status === 'idle' || x.status === 'failed', 120000);
    expect(after.status).toBe('idle');
    await f.events.flush();
    const texts = (await f.events.list({ agent: a, type: 'agent.message' })).map((e) => String(e.data.text ?? ''));
    expect(texts.some((t) => /again: 2 user messages/.test(t))).toBe(true);
  }, 300000);

  it('a claim the repository refuses (the agent branch has other work) fails that start and leaves the pooled process idle', async () => {
    const [pid] = await pooled();
    git(f.repo, 'switch', '-q', '-c', 'godel/pool/fifth');
    writeFileSync(join(f.repo, 'work.txt'), 'earlier work\n');
    git(f.repo, 'add', 'work.txt');
    git(f.repo, 'commit', '-qm', 'earlier work');
    git(f.repo, 'switch', '-q', 'main');
    const a = agentAddress('pool', 'fifth');
    const s = await f.start(a, {});
    expect(s.status).toBe('failed');
    expect(s.reason).toMatch(/workspace.already_exists/);
    // Nothing was wrong with the pooled process: it still waits, for the next claim.
    expect(f.host.poolPids()).toContain(pid);
    await f.events.flush();
    expect((await f.events.list({ agent: 'pool', type: 'agent.pool_discarded' })).map((e) => e.data.reason)).not.toContainEqual(expect.stringMatching(/already exists/));
  }, 300000);
});
