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
