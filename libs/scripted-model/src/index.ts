export { startScriptedModel } from './scripted-model-server';
export type { ScriptedModel, ScriptedModelOptions, RecordedRequest } from './scripted-model-server';
export { loadScript, parseScriptText } from './load-script';
export { ScriptValidationError } from './script-validation';
export { SCRIPTED_MODEL_IDENTITY } from './openai-wire';
export { SCRIPT_MARKER, messageText } from './script-player';
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
} from './script';
