import { access, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { availableParallelism, totalmem } from 'node:os';
import { tellRef } from '@godel/actors';
import { Sandbox } from '@godel/sandbox';
import type { CreatedWorktree } from '@godel/workspace';
import { agentEnv } from './agent-sandbox';
import { CommandRuntime } from '../command/command-runtime';
import { PiRuntime } from '../runtime/pi-runtime';
import { PiRpcProcess } from '../pi/pi-rpc-process';
import { Admission, defaultMaxAgents, defaultStartConcurrency, type AdmissionStats } from './admission';
import { withCwd } from './agent-files';
import { HostEventRelay } from './host-events';
import type { AgentHostDeps, Running, RuntimeSpec, SpawnSpec } from './host-types';
import { ProcessTable } from './process-table';
import type { AgentMessage } from './messages';
import { placeLauncher, startAgentPi, type Place } from './agent-launch';
import { WarmPool, type ClaimRequest } from './warm-pool';
import type { PoolTemplate } from './warm-pool-config';

export type { AgentHostDeps, LimitHit, RuntimeSpec, SpawnSpec, TurnLimit } from './host-types';

/**
 * The coding-agent processes of the agents this instance hosts. Instance-local (a process is a
 * local resource); the agent actor's durable state says what should run, and the actor asks the
 * host to make it so. Process facts flow back to the actor as messages (`agent.turn_end`,
 * `agent.exited`) and into the event log. Starts go through admission control; a warm pool
 * (`claim`) hands out pre-started processes.
 */
export class AgentProcessHost extends ProcessTable {
  private readonly sandbox: Sandbox;
  private readonly admission: Admission;
  private readonly relay: HostEventRelay;
  private readonly pool?: WarmPool;
  /** Queued starts admitted later: their owner (team, correlation) for events. */
  private readonly waiting = new Map<string, { team: string; correlationId?: string }>();
  /** Spawns under way, per agent (see `spawn`). */
  private readonly spawning = new Map<string, Promise<void>>();
  /** Set by stopAll: a process that finishes starting afterwards is stopped at once. */
  private closed = false;

  constructor(private readonly deps: AgentHostDeps) {
    super(deps);
    this.sandbox = deps.sandbox ?? new Sandbox();
    this.relay = new HostEventRelay(deps);
    this.admission = new Admission({
      startConcurrency: deps.admission?.startConcurrency ?? defaultStartConcurrency(availableParallelism()),
      maxAgents: deps.admission?.maxAgents ?? defaultMaxAgents(totalmem()),
      onPosition: (agent, position, queued) => {
        const w = this.waiting.get(agent);
        void this.deps.events.append({ type: 'agent.queued', agent, team: w?.team, correlationId: w?.correlationId, data: { position, queued } }).catch(() => undefined);
      },
    });
    // The pool renames a slot's folders to the agent's: only a sandboxed process keeps seeing them.
    if (deps.pool && this.sandbox.mode !== 'off') {
      this.pool = new WarmPool({
        rootDir: deps.rootDir,
        config: deps.pool,
        admission: this.admission,
        launch: (slot) => startAgentPi(this.deps, this.sandbox, { root: slot.root, cwd: slot.worktree, owner: { agent: slot.admissionId } }, { cwd: slot.worktree, team: '', providers: slot.template.providers, providerIndex: 0, tools: slot.template.tools, readRoots: slot.template.readRoots }),
        record: (type, data) => void this.deps.events.append({ type, agent: 'pool', data }).catch(() => undefined),
      });
    }
  }

  /** This instance's capacity: max agents, live (pooled ones too), starting, queued, and the pool. */
  capacity(): AdmissionStats & { pooled: number } {
    return { ...this.admission.stats(), pooled: this.pool?.stats().idle ?? 0 };
  }

  /**
   * Asks for a start slot without blocking the caller: `admitted` when one is free now (the next
   * `spawn` uses it), else the start waits in line (`agent.queued` events with its position) and
   * the agent is told `agent.admitted` when its turn comes.
   */
  admit(agent: string, owner: { team: string; correlationId?: string }): { admitted: true } | { admitted: false; position: number } {
    if (this.has(agent) || this.admission.tryAcquire(agent)) return { admitted: true };
    // Idle pooled processes give their live places up to real starts.
    if (this.admission.full()) this.pool?.evictOne();
    this.waiting.set(agent, owner);
    const granted = this.admission.acquire(agent);
    void granted.then(() => {
      if (this.waiting.get(agent) !== owner) return;
      this.waiting.delete(agent);
      void tellRef<AgentMessage>(this.deps, agent).tell('agent.admitted', {}).catch(() => this.admission.release(agent));
    });
    return { admitted: false, position: this.admission.position(agent) ?? 1 };
  }

  /** The agent's place in the start queue (1 = next), undefined when it does not wait. */
  queuePosition(agent: string): number | undefined {
    return this.admission.position(agent);
  }

  /** Whether the agent waits for a start slot or holds one it has not used yet. */
  pending(agent: string): boolean {
    return this.admission.position(agent) !== undefined || this.admission.holds(agent);
  }

  /** Rejects with `sandbox.unavailable` when agents cannot be sandboxed here (checked at server start). */
  checkSandbox(): Promise<void> {
    return this.sandbox.check();
  }

  /** The pids of the warm pool's idle processes. */
  poolPids(): number[] {
    return this.pool?.idlePids() ?? [];
  }

  /** Keeps a warm pool for agents of this kind (the pool also learns kinds from `claim`); `size` over the configured one. */
  warm(template: PoolTemplate, size?: number): void {
    this.pool?.want(template, size);
  }

  /**
   * A pre-started process for a new pi agent, when the pool has one of its kind: its slot becomes
   * the agent's worktree (`<worktreesRoot>/<team>/<name>` on its branch, as `WorktreeManager.create`
   * makes it) and its folder the agent's. Undefined at once otherwise (start cold). `spawn` then
   * gives the process a fresh session, which re-reads what pi takes from the worktree.
   */
  async claim(agent: string, req: ClaimRequest & PoolTemplate & { correlationId?: string }): Promise<CreatedWorktree | undefined> {
    if (!this.pool || this.has(agent)) return undefined;
    const agentRoot = dirname(this.dirs(agent).agentDir);
    if (await access(agentRoot).then(() => true, () => false)) return undefined; // an earlier life's folder: start cold in it
    const t0 = Date.now();
    const got = await this.pool.claim(req, req, agentRoot);
    if (!got) return undefined;
    const pi = got.slot.pi!;
    this.admission.transfer(got.slot.admissionId, agent);
    const p = req.providers[0];
    const pooled = { slotRoot: got.slot.root, agentRoot, slotWorktree: got.slot.worktree, provider: p.provider, model: p.model, pending: true, reload: got.worktree.readChanged };
    this.track(agent, pi, { runtime: new PiRuntime(pi), pi, stopping: false, team: req.team, correlationId: req.correlationId, pooled });
    void this.deps.events.append({ type: 'agent.pool_claimed', agent, team: req.team, correlationId: req.correlationId, data: { slot: got.slot.id, claimMs: Date.now() - t0, ...got.phases } }).catch(() => undefined);
    return got.worktree;
  }

  /**
   * Starts the agent's process (idempotent: a live one is kept). Resolves once it answers get_state.
   * Single-flight per agent: a second call while one is under way (a turn re-run after its shard
   * was lost and taken back, the old turn still spawning) waits for that one instead of starting a
   * second process, which would replace the first in the table and leave it running untracked.
   */
  spawn(agent: string, spec: SpawnSpec): Promise<void> {
    const inFlight = this.spawning.get(agent);
    if (inFlight) return inFlight;
    const p = this.spawnOnce(agent, spec).finally(() => this.spawning.delete(agent));
    this.spawning.set(agent, p);
    return p;
  }

  private async spawnOnce(agent: string, spec: SpawnSpec): Promise<void> {
    const claimed = this.running.get(agent);
    if (claimed?.pooled?.pending && claimed.pi?.running) {
      if (await this.finishClaim(agent, claimed, spec)) return;
    }
    if (this.has(agent)) return;
    if (spec.runtime?.kind === 'command') {
      // One process per prompt: nothing long-lived to admit.
      this.admission.release(agent);
      return this.spawnCommand(agent, spec, spec.runtime);
    }
    try {
      await this.spawnPi(agent, spec);
    } catch (err) {
      // A start that failed (before or at its spawn) gives its slot back.
      this.admission.release(agent);
      throw err;
    }
  }

  /**
   * A claimed process gets the agent's session: the stored one (switched to), or a fresh one when
   * what pi reads from its working folder (`.pi/settings.json`, `.pi/SYSTEM.md`...) differs at the
   * agent's base (pi rebuilds those services for a new session); then its model. False: it was
   * stopped (start cold).
   */
  private async finishClaim(agent: string, r: Running, spec: SpawnSpec): Promise<boolean> {
    const pooled = r.pooled!;
    const pi = r.pi!;
    r.team = spec.team;
    r.correlationId = spec.correlationId;
    try {
      const t = { timeoutMs: this.deps.commandTimeoutMs ?? 10000 };
      if (spec.session) {
        const { sessionDir } = this.dirs(agent);
        const name = basename(spec.session.fileName);
        await writeFile(join(sessionDir, name), withCwd(spec.session.content, pooled.slotWorktree));
        await pi.switchSession(join(pooled.slotRoot, 'sessions', name), t);
      } else if (pooled.reload) {
        // Its `.pi/` (or context files) changed between the slot's commit and the agent's base:
        // a fresh session makes pi read them again. Otherwise its empty session is the agent's.
        await pi.newSession(t);
      }
      const p = spec.providers[spec.providerIndex];
      if (p && (p.provider !== pooled.provider || p.model !== pooled.model)) await pi.setModel(p.provider, p.model, t);
      pooled.pending = false;
      return true;
    } catch {
      r.stopping = true;
      this.running.delete(agent);
      this.admission.exited(agent);
      await pi.stop({ graceMs: 500 });
      return false;
    }
  }

  private async spawnPi(agent: string, spec: SpawnSpec): Promise<void> {
    const place: Place = { root: dirname(this.dirs(agent).agentDir), cwd: spec.cwd, owner: { agent, team: spec.team, correlationId: spec.correlationId } };
    // Admission: wait for a start slot here (the readiness deadline starts at the spawn).
    if (!this.admission.holds(agent)) {
      if (this.admission.full()) this.pool?.evictOne();
      await this.admission.acquire(agent);
    }
    const pi = await startAgentPi(this.deps, this.sandbox, place, spec, true);
    if (this.closed) {
      // stopAll ran while this one started: nothing may outlive the host.
      await pi.stop({ graceMs: 0 }).catch(() => undefined);
      this.admission.release(agent);
      throw new Error('agent host closed while the process started');
    }
    this.admission.started(agent);
    this.track(agent, pi, { runtime: new PiRuntime(pi), pi, stopping: false, team: spec.team, correlationId: spec.correlationId });
  }

  /** Follows a live pi process of an agent: its events, and its exit back to the actor. */
  private track(agent: string, pi: PiRpcProcess, entry: Running): void {
    this.running.set(agent, entry);
    pi.onEvent((e) => this.relay.onEvent(agent, entry, e));
    void pi.exited.then((exit) => {
      if (this.running.get(agent) === entry) {
        this.running.delete(agent);
        this.admission.exited(agent);
      }
      if (entry.stopping) return;
      void tellRef<AgentMessage>(this.deps, agent).tell('agent.exited', { pid: pi.pid, code: exit.code, signal: exit.signal }).catch(() => undefined);
    });
  }

  /**
   * A CLI that runs one process per prompt (Claude Code, Codex...): its conversation continues
   * through the CLI's own resume id, which is what the agent stores as its "session". The path
   * guard is pi's; the OS sandbox is the same for every CLI.
   */
  private async spawnCommand(agent: string, spec: SpawnSpec, rt: Extract<RuntimeSpec, { kind: 'command' }>): Promise<void> {
    const provider = spec.providers[spec.providerIndex];
    const root = dirname(this.dirs(agent).agentDir);
    const runtime = new CommandRuntime({
      dialect: rt.dialect,
      command: rt.command,
      extraArgs: rt.extraArgs,
      cwd: spec.cwd,
      baseEnv: agentEnv(this.deps.baseEnv, spec.providers, join(root, 'home')),
      launcher: placeLauncher(this.deps, this.sandbox, { root, cwd: spec.cwd, owner: { agent, team: spec.team, correlationId: spec.correlationId } }, spec, []),
      resume: true,
      sessionId: spec.session?.content || undefined,
      provider: provider?.provider,
      model: provider?.model,
    });
    await runtime.start();
    const entry: Running = { runtime, stopping: false, team: spec.team, correlationId: spec.correlationId };
    this.running.set(agent, entry);
    runtime.onEvent((e) => this.relay.onRuntimeEvent(agent, entry, e));
  }

  async stop(agent: string): Promise<void> {
    const r = this.running.get(agent);
    if (!r) {
      // A start still waiting in line (or admitted, not spawned) gives its place up.
      this.waiting.delete(agent);
      this.admission.release(agent);
      return;
    }
    r.stopping = true;
    this.running.delete(agent);
    if (r.pi) this.admission.exited(agent);
    if (r.pi) await r.pi.stop({ graceMs: 1000 });
    else await r.runtime.stop({ graceMs: 1000 });
  }

  /** Stops every agent process and the warm pool's. */
  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.keys()].map((a) => this.stop(a)));
    await this.pool?.close();
  }


}
