export { createTestEnv } from './test-env';
export type { TestEnv } from './test-env';
export { counterActor } from './counter-actor';
export type { CounterState, CounterMessage } from './counter-actor';
export { startScriptedModel } from './scripted-model/scripted-model-server';
export type { ScriptedModel, ScriptedModelOptions, RecordedRequest } from './scripted-model/scripted-model-server';
export { loadScript, parseScriptText } from './scripted-model/load-script';
export { ScriptValidationError } from './scripted-model/script-validation';
export { SCRIPTED_MODEL_IDENTITY } from './scripted-model/openai-wire';
export { SCRIPT_MARKER, messageText } from './scripted-model/script-player';
export type {
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
} from './scripted-model/script';
export { GodelCluster } from './godel-cluster';
export type { ClusterMember, GodelClusterOptions } from './godel-cluster';
export { TcpProxy } from './tcp-proxy';
export { copySampleRepo, createSampleRepo, git } from './sample-repo';
export { teamPlaybook, loadPlaybook } from './scripted-model/team-playbook';
export type { TeamPlaybook, WorkerMove } from './scripted-model/team-playbook';
export { login, adminToken, bearer, createKey } from './api-auth';
export type { IssuedTokens } from './api-auth';
export { startOtlpReceiver } from './otlp-receiver';
export type { OtlpReceiver, ReceivedSpan } from './otlp-receiver';
