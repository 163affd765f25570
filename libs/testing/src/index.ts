export { createTestEnv } from './test-env';
export type { TestEnv } from './test-env';
// Product code re-exported for tests: the counter actor (@godel/actors), the scripted model
// (@godel/scripted-model) and the team playbook (@godel/orchestration).
export { counterActor } from '@godel/actors';
export type { CounterState, CounterMessage } from '@godel/actors';
export {
  startScriptedModel,
  loadScript,
  parseScriptText,
  ScriptValidationError,
  SCRIPTED_MODEL_IDENTITY,
  SCRIPT_MARKER,
  messageText,
} from '@godel/scripted-model';
export type {
  ScriptedModel,
  ScriptedModelOptions,
  RecordedRequest,
  Script,
  ScriptBook,
  ScriptSource,
  Step,
  TextStep,
  ToolCallsStep,
  ErrorStep,
  StepFunction,
  StepRequest,
  ToolCallSpec,
  UsageSpec,
} from '@godel/scripted-model';
export { teamPlaybook, loadPlaybook } from '@godel/orchestration';
export type { TeamPlaybook, WorkerMove } from '@godel/orchestration';
export { GodelCluster } from './godel-cluster';
export type { ClusterMember, GodelClusterOptions } from './godel-cluster';
export { TcpProxy } from './tcp-proxy';
export { createSampleRepo, git } from './sample-repo';
export { login, adminToken, bearer, createKey } from './api-auth';
export type { IssuedTokens } from './api-auth';
export { startOtlpReceiver } from './otlp-receiver';
export type { OtlpReceiver, ReceivedSpan } from './otlp-receiver';
