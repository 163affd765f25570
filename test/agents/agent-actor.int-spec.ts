/**
 * Agent actors end to end. Real: `pi` processes in --mode rpc, git worktrees, the actor runtime on
 * Redis + PostgreSQL, the event log and session store. The model is the scripted OpenAI-compatible
 * server ("scripted model (offline)"). Mocked: nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AgentProcessHost, agentActor, agentAddress, locatePiBin, type AgentState, type ProviderRef } from '@godel/agents';
import { EventLog, SessionStore } from '@godel/persistence';
import { createTestEnv, startScriptedModel, type ScriptedModel, type TestEnv } from '@godel/testing';
import { buildRuntime, type BuiltRuntime } from '../../apps/godel/src/runtime/build-runtime';

const sh = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Godel Test', '-c', 'user.email=test@godel.invalid', ...args], { cwd, encoding: 'utf8' }).trim();

describe('agent actors with real pi processes', () => {
  let env: TestEnv;
  let model: ScriptedModel;
  let root: string;
  let repo: string;
  let rt: BuiltRuntime;
  let host: AgentProcessHost;
  let events: EventLog;
  let providers: ProviderRef[];

  beforeAll(async () => {
    env = await createTestEnv({ shardCount: 4, leaseTtlMs: 2000 });
    model = await startScriptedModel({
      models: ['scripted', 'scripted-b'],
      script: {
        scripts: {
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
        },
      },
    });
    root = await mkdtemp(join(tmpdir(), 'godel-agents-'));
    repo = join(root, 'repo');
    await mkdir(repo);
    sh(repo, 'init', '-q', '-b', 'main');
    await writeFile(join(repo, 'README.md'), '# sample\n');
    sh(repo, 'add', '.');
    sh(repo, 'commit', '-qm', 'init');
    providers = [
      { provider: 'primary', model: 'scripted', baseUrl: model.url, label: 'scripted model (offline)' },
      { provider: 'backup', model: 'scripted-b', baseUrl: model.url, label: 'scripted model (offline, backup)' },
    ];
    events = new EventLog(env.dataSource);
    const home = join(root, 'home');
    await mkdir(home);
    const ref: { system?: BuiltRuntime['system'] } = {};
    host = new AgentProcessHost({
      tell: (to, type, payload) => ref.system!.tell(to, type, payload),
      events,
      rootDir: join(root, 'agents'),
      piBin: locatePiBin(__dirname)!,
      baseEnv: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home },
    });
    rt = buildRuntime({
      redisUrl: env.redisUrl,
      dataSource: env.dataSource,
      keyPrefix: env.keyPrefix,
      runtime: env.config.runtime,
      definitions: [agentActor({ host, events, sessions: new SessionStore(env.dataSource), worktreesRoot: join(root, 'worktrees'), heartbeatMs: 2000 })],
    });
    ref.system = rt.system;
    await rt.system.start();
  }, 60000);

  afterAll(async () => {
    await host?.stopAll();
    await rt?.close();
    await model?.close();
    await env?.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  const get = (a: string) => rt.system.ask<AgentState>(a, 'get', {}, 15000);
  async function until(a: string, pred: (s: AgentState) => boolean, timeoutMs = 30000): Promise<AgentState> {
    const end = Date.now() + timeoutMs;
    let s = await get(a);
    while (!pred(s)) {
      if (Date.now() > end) throw new Error(`agent ${a} stuck in ${s.status} (${s.reason ?? ''})`);
      await new Promise((r) => setTimeout(r, 100));
      s = await get(a);
    }
    return s;
  }
  const start = (a: string, extra: Record<string, unknown>) => rt.system.ask<AgentState>(a, 'agent.start', { repo, providers, ...extra }, 30000);

  it('edits and commits in its own worktree and branch; events and session are stored', async () => {
    const a = agentAddress('t1', 'w1');
    await start(a, { prompt: '[script:edit] add a hello file and commit it' });
    const s = await until(a, (x) => x.status === 'idle');
    expect(s.branch).toBe('godel/t1/w1');
    expect(existsSync(join(s.worktree!, 'hello.txt'))).toBe(true);
    expect(existsSync(join(repo, 'hello.txt'))).toBe(false); // the main checkout is untouched
    expect(sh(repo, 'log', '-1', '--format=%s', 'godel/t1/w1')).toBe('add hello');
    const recorded = await events.list({ agent: a });
    const tools = recorded.filter((e) => e.type === 'agent.tool_started').map((e) => e.data.tool);
    expect(tools).toEqual(['write', 'bash']);
    expect(recorded.map((e) => e.type)).toEqual(expect.arrayContaining(['agent.preparing', 'agent.started', 'agent.turn_completed']));
    expect(s.usage.total).toBeGreaterThan(0);
    const session = await new SessionStore(env.dataSource).load(a);
    expect(session?.content).toContain('hello.txt');
  }, 60000);

  it('SIGKILL of pi mid-turn: noticed at once, restarted on its stored session, finishes the task', async () => {
    const a = agentAddress('t2', 'w1');
    await start(a, { prompt: '[script:crash] write resumed.txt' });
    await until(a, (x) => x.status === 'running');
    await new Promise((r) => setTimeout(r, 800)); // the model is "thinking" (delayed step)
    const pid = host.get(a)!.pid;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const s = await until(a, (x) => x.status === 'idle', 40000);
    expect(host.get(a)!.pid).not.toBe(pid);
    expect(existsSync(join(s.worktree!, 'resumed.txt'))).toBe(true);
    const restarted = (await events.list({ agent: a, type: 'agent.restarted' }))[0];
    expect(restarted).toBeDefined();
    expect(new Date(restarted.at).getTime() - killedAt).toBeLessThan(5000);
    // the restarted process continued the same conversation (the first prompt is in its history)
    const lastRequest = model.requests[model.requests.length - 1];
    expect(JSON.stringify(lastRequest.body)).toContain('[script:crash] write resumed.txt');
  }, 60000);

  it('provider failover: the first provider answers 500, the next serves, a provider.failover event names the cause', async () => {
    const a = agentAddress('t3', 'w1');
    await start(a, { prompt: '[script:failover] say something' });
    const s = await until(a, (x) => x.status === 'idle');
    expect(s.providerIndex).toBe(1);
    const fo = await events.list({ agent: a, type: 'provider.failover' });
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
    expect(host.has(a)).toBe(false);
    expect(await events.list({ agent: a, type: 'budget.exceeded' })).toHaveLength(1);
  }, 60000);

  it('path guard: reads outside the worktree are refused and recorded as guard.denied events', async () => {
    const a = agentAddress('t6', 'w1');
    await start(a, { prompt: '[script:escape] read the password file' });
    await until(a, (x) => x.status === 'idle');
    await events.flush();
    const denied = await events.list({ agent: a, type: 'guard.denied' });
    expect(denied.map((d) => d.data.toolName)).toEqual(['read', 'bash']);
    const seen = JSON.stringify(model.requests.map((r) => r.body));
    expect(seen).not.toMatch(/root:x:0:0/);
  }, 60000);

  it('bad input: a path that is not a repository fails the agent with the reason and leaves nothing behind', async () => {
    const a = agentAddress('t5', 'w1');
    const notRepo = join(root, 'not-a-repo');
    await mkdir(notRepo);
    const s = await rt.system.ask<AgentState>(a, 'agent.start', { repo: notRepo, providers }, 30000);
    expect(s.status).toBe('failed');
    expect(s.reason).toMatch(/workspace\.not_a_repo/);
    expect(host.has(a)).toBe(false);
    expect(existsSync(join(root, 'worktrees', 't5'))).toBe(false);
  }, 30000);
});
