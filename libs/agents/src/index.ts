export { PiRpcProcess } from './pi/pi-rpc-process';
export type { PiRpcStartOptions, PiExit, PiCallOptions } from './pi/pi-rpc-process';
export { writeModelsJson, writeSettingsJson } from './pi/agent-dir';
export type { PiProviderConfig, PiModelConfig, PiSettings } from './pi/agent-dir';
export { locatePiBin, buildPiArgs, buildPiEnv } from './pi/pi-launch';
export type { PiLaunchOptions } from './pi/pi-launch';
export {
  AgentError,
  AgentRuntimeMissingError,
  AgentSpawnError,
  AgentTimeoutError,
  AgentProtocolError,
  AgentCommandError,
  AgentProcessExitedError,
} from './pi/errors';
export type {
  PiEvent,
  PiAgentEvent,
  PiProtocolErrorEvent,
  PiUnknownEvent,
  PiState,
  PiSessionStats,
  PiMessage,
  PiModel,
  PiResponse,
  PiCommand,
} from './pi/pi-protocol';
export { agentActor } from './agent/agent-actor';
export { AGENT_EFFECTS, agentEffectExecutors, type AgentEvent } from './agent/agent-effects';
export type { AgentActorDeps } from './agent/agent-deps';
export { agentAddress, agentRef, agentOutbox } from './agent/messages';
export type { AgentMessage, AgentRef, AgentStop, TurnEnd, ProcessExit } from './agent/messages';
export { AgentProcessHost } from './agent/process-host';
export { Admission, defaultMaxAgents, defaultStartConcurrency } from './agent/admission';
export type { AdmissionStats, AdmissionOptions } from './agent/admission';
export type { AgentHostDeps, SpawnSpec } from './agent/process-host';
export { initialAgentState, toolsFor, READ_ONLY_TOOLS, READ_ONLY_ROLES } from './agent/agent-state';
export { agentEnv, agentLauncher, providerEndpoints } from './agent/agent-sandbox';
export type { AgentSandboxSpec } from './agent/agent-sandbox';
export type { Launcher, LaunchCommand, Launched } from './runtime/launcher';
export type { AgentState, AgentStatus, AgentUpdate, AgentUsage, StartAgent } from './agent/agent-state';
export { chainFor, isProviderFailure } from './agent/provider-chain';
export type { ProviderRef } from './agent/provider-chain';
export { cutSession } from './agent/session-cut';
export {
  guardLaunchOptions,
  withPathGuard,
  GUARD_EXTENSION_FILE,
  readGuardDenials,
  guardDenialFromEvent,
  isGuardDenial,
  GUARD_ENV,
  GUARD_DENIED,
  ToolCallPolicy,
} from './guard';
export type { GuardOptions, GuardLaunch, GuardDenial, GuardFinding, GuardRule, ToolCallPolicyOptions, GuardVerdict } from './guard';
export { PiRuntime } from './runtime/pi-runtime';
export { normalizePiEvent } from './runtime/normalize-pi-event';
export { runtimeEvent, emptyUsage, addUsage, makeUsage, waitForAgentEnd } from './runtime/agent-runtime';
export type {
  AgentRuntime,
  AgentRuntimeCapabilities,
  AgentRuntimeState,
  AgentRuntimeEvent,
  AgentRuntimeEventKind,
  AgentRuntimeEventData,
  AgentRuntimeEventOf,
  AgentUsage as RuntimeUsage,
  RunEndReason,
  RuntimeCallOptions,
  RuntimeExit,
} from './runtime/agent-runtime';
export { AgentUnsupportedError, AgentRunError } from './runtime/errors';
export { AgentStateError } from './agent/agent-errors';
export { CommandRuntime } from './command/command-runtime';
export type { CommandRuntimeOptions } from './command/command-runtime';
export { DEFAULT_ARGS, DEFAULT_COMMAND, COMMAND_DIALECTS, buildCommandArgs } from './command/command-args';
export type { ArgTemplate, CommandDialect } from './command/command-args';
export { LineNormalizer, DEFAULT_USAGE_REPORTING } from './command/line-normalizer';
export type { UsageReporting, UsageReportingModes } from './command/usage-meter';
export { WorktreeJanitor } from './agent/worktree-janitor';
export type { WorktreeJanitorOptions } from './agent/worktree-janitor';
export { WarmPool } from './agent/warm-pool';
export type { PoolSlot, WarmPoolDeps, ClaimRequest } from './agent/warm-pool';
export { poolKey, poolSizeFor } from './agent/warm-pool-config';
export type { PoolConfig, PoolTemplate } from './agent/warm-pool-config';
