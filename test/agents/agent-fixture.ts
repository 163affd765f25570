import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { ActorDefinition } from '@godel/actors';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AgentProcessHost, agentActor, locatePiBin, type AgentState, type PoolConfig, type ProviderRef } from '@godel/agents';
import { AgentQueries, EventLog, SessionStore } from '@godel/persistence';
import type { AgentRepos } from '@godel/workspace';
import { createSampleRepo, createTestEnv, startScriptedModel, type ScriptedModel, type Step, type StepFunction, type StepRequest, type TestEnv } from '@godel/testing';
import { buildRuntime, type BuiltRuntime } from '../../apps/godel/src';

export { git } from '@godel/testing';

export interface AgentFixture {
  env: TestEnv;
  model: ScriptedModel;
  root: string;
  repo: string;
  rt: BuiltRuntime;
  host: AgentProcessHost;
  events: EventLog;
  sessions: SessionStore;
  providers: ProviderRef[];
  get(a: string): Promise<AgentState>;
  until(a: string, pred: (s: AgentState) => boolean, timeoutMs?: number): Promise<AgentState>;
  start(a: string, extra: Record<string, unknown>): Promise<AgentState>;
  close(): Promise<void>;
}

/**
 * One instance hosting agent actors over the real Redis and PostgreSQL, a temp git repository with
 * one commit, and the scripted model serving `scripts` (chosen by a [script:NAME] marker).
 */
export interface AgentFixtureOptions {
  piBin?: string;
  startTimeoutMs?: number;
  /** Plays every request (instead of `scripts` chosen by marker). */
  play?: StepFunction;
  /** Files of the sample repository's first commit. */
  repoFiles?: Record<string, string>;
  /** Agent actor options (restart intensity, heartbeat). */
  agent?: { maxRestarts?: number; restartWindowMs?: number; heartbeatMs?: number; keepFailedWorktrees?: boolean; repos?: AgentRepos };
  /** The agents' session store (default: one on the env's PostgreSQL), e.g. wrapped to fail. */
  sessions?: (real: SessionStore) => SessionStore;
  /** Added to the agents' base environment (e.g. the server secrets an agent must not see). */
  hostEnv?: Record<string, string>;
  /** The process host's folders hidden inside the sandbox (Godel's home). */
  hiddenDirs?: string[];
  /** Admission control of the process host (starts at once, live agents). */
  admission?: { startConcurrency?: number; maxAgents?: number };
  /** The process host's warm pool (off by default). */
  pool?: PoolConfig;
  /** More actor kinds on the same runtime (e.g. the team actor). */
  /** Wraps the agent actor's definition (fault injection around its turns and effect executors). */
  wrapAgent?: (def: ActorDefinition<AgentState>) => ActorDefinition<AgentState>;
  definitions?: (f: { events: EventLog; tell(to: string, type: string, payload: unknown, extra?: { from?: string }): Promise<void>; env: TestEnv }) => ActorDefinition[];
}

export async function createAgentFixture(scripts: Record<string, Step[] | ((r: StepRequest) => Step)>, o: AgentFixtureOptions = {}): Promise<AgentFixture> {
  const env = await createTestEnv({ shardCount: 4, leaseTtlMs: 2000 });
  const play: StepFunction = (r) => {
    const script = scripts[r.scriptName ?? ''];
    if (!script) return { error: { status: 400, message: `no script ${r.scriptName}` } };
    if (typeof script === 'function') return script(r);
    return script[r.index] ?? { error: { status: 400, message: `script ${r.scriptName} exhausted` } };
  };
  const model = await startScriptedModel({ models: ['scripted', 'scripted-b'], script: o.play ?? play });
  const root = await mkdtemp(join(tmpdir(), 'godel-agents-'));
  const repo = await createSampleRepo(root, o.repoFiles);
  const providers: ProviderRef[] = [
    { provider: 'primary', model: 'scripted', baseUrl: model.url, label: 'scripted model (offline)' },
    { provider: 'backup', model: 'scripted-b', baseUrl: model.url, label: 'scripted model (offline, backup)' },
  ];
  const events = new EventLog(env.dataSource);
  const sessions = o.sessions ? o.sessions(new SessionStore(env.dataSource)) : new SessionStore(env.dataSource);
  const home = join(root, 'home');
  await mkdir(home);
  const ref: { system?: BuiltRuntime['system'] } = {};
  const host = new AgentProcessHost({
    tell: (to, type, payload) => ref.system!.tell(to, type, payload),
    events,
    rootDir: join(root, 'agents'),
    piBin: o.piBin ?? locatePiBin(__dirname)!,
    baseEnv: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, ...o.hostEnv },
    hiddenDirs: o.hiddenDirs,
    commandTimeoutMs: o.startTimeoutMs,
    readyTimeoutMs: o.startTimeoutMs,
    admission: o.admission,
    pool: o.pool,
  });
  const rt = buildRuntime({
    redisUrl: env.redisUrl,
    dataSource: env.dataSource,
    keyPrefix: env.keyPrefix,
    runtime: env.config.runtime,
    definitions: [
      (o.wrapAgent ?? ((d) => d))(
        agentActor({ host, events, sessions, worktreesRoot: join(root, 'worktrees'), heartbeatMs: 2000, ...o.agent, teamUsage: (t, x) => new AgentQueries(env.dataSource).teamUsage(t, x) }),
      ),
      ...(o.definitions?.({ events, env, tell: (to, type, payload, extra) => ref.system!.tell(to, type, payload, extra) }) ?? []),
    ],
  });
  ref.system = rt.system;
  await rt.system.start();
  const get = (a: string) => rt.system.ask<AgentState>(a, 'get', {}, 15000);
  return {
    env,
    model,
    root,
    repo,
    rt,
    host,
    events,
    sessions,
    providers,
    get,
    async until(a, pred, timeoutMs = 30000) {
      const end = Date.now() + timeoutMs;
      // A `get` waits behind the agent's current turn (a pi start inside it takes long on a loaded box): ask again.
      const poll = () => rt.system.ask<AgentState>(a, 'get', {}, Math.max(15000, end - Date.now())).catch(() => undefined);
      let s = await poll();
      while (!s || !pred(s)) {
        if (Date.now() > end) throw new Error(`agent ${a} stuck in ${s?.status ?? 'a turn'} (${s?.reason ?? ''})`);
        await new Promise((r) => setTimeout(r, 100));
        s = await poll();
      }
      return s;
    },
    start: (a, extra) => rt.system.ask<AgentState>(a, 'agent.start', { repo, providers, ...extra }, 180000),
    async close() {
      // The runtime first (as the server's shutdown): a heartbeat turn after stopAll would restart processes.
      await rt.close();
      await host.stopAll();
      await events.flush();
      await model.close();
      await env.cleanup();
      await rm(root, { recursive: true, force: true });
    },
  };
}
