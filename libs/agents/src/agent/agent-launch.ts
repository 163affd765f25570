import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sandbox } from '@godel/sandbox';
import { GUARD_EXTENSION_FILE, withPathGuard } from '../guard';
import { PiRpcProcess } from '../pi/pi-rpc-process';
import type { Launcher } from '../runtime/launcher';
import { agentEnv, agentLauncher } from './agent-sandbox';
import { prepareAgentDir, sessionArgs } from './agent-files';
import type { AgentHostDeps, SpawnSpec } from './host-types';

/** Where one process runs: its agent folder (pi dir, sessions, home, guard log) and its worktree. */
export interface Place {
  root: string;
  cwd: string;
  owner: { agent: string; team?: string; correlationId?: string };
}

/** The launcher of one process: its sandbox, its providers' endpoints, its folders. */
export function placeLauncher(deps: AgentHostDeps, sandbox: Sandbox, place: Place, spec: SpawnSpec, programs: string[]): Launcher {
  const record = (type: string, data: Record<string, unknown>) =>
    void deps.events.append({ type, agent: place.owner.agent, team: place.owner.team, correlationId: place.owner.correlationId, data }).catch(() => undefined);
  if (sandbox.mode === 'off') record('sandbox.disabled', { warning: 'GODEL_SANDBOX=off: this agent runs without the OS sandbox (development only)' });
  return agentLauncher({
    sandbox: sandbox,
    worktree: place.cwd,
    agentRoot: place.root,
    programs,
    readRoots: spec.readRoots,
    hidden: deps.hiddenDirs,
    providers: spec.providers,
    onEgressDenied: (target) => record('sandbox.egress_denied', { target }),
  });
}

/** Prepares a process's folder and starts its sandboxed pi (no admission here). */
export async function startAgentPi(deps: AgentHostDeps, sandbox: Sandbox, place: Place, spec: SpawnSpec, resume = false): Promise<PiRpcProcess> {
  const agentDir = join(place.root, 'pi');
  const sessionDir = join(place.root, 'sessions');
  await mkdir(sessionDir, { recursive: true });
  await prepareAgentDir(agentDir, spec.providers);
  const extraArgs = resume ? await sessionArgs(sessionDir, spec.cwd, spec.session) : [];
  const provider = spec.providers[spec.providerIndex];
  // Tools stay inside the worktree: pi's tool_call hook (libs/agents/src/guard), denials logged
  // outside the worktree and streamed as events.
  const launch = withPathGuard(
    {
      cwd: place.cwd,
      agentDir,
      sessionDir,
      provider: provider.provider,
      model: provider.model,
      baseEnv: agentEnv(deps.baseEnv, spec.providers, join(place.root, 'home')),
      piBin: deps.piBin,
      extraArgs,
      tools: spec.tools,
    },
    { logFile: join(place.root, 'guard.log'), readRoots: spec.readRoots },
  );
  return PiRpcProcess.start({
    ...launch,
    launcher: placeLauncher(deps, sandbox, place, spec, [GUARD_EXTENSION_FILE]),
    requestTimeoutMs: deps.commandTimeoutMs ?? 10000,
    readyTimeoutMs: deps.readyTimeoutMs,
  });
}
