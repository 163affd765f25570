/**
 * What the scripted model plays: one step answers one chat-completions request.
 *
 * A `Script` is the list of steps of one conversation. A `ScriptBook` names several scripts so many
 * agents can share one server; a request picks its script with a `[script:NAME]` marker in its first
 * user message (see script-player.ts).
 */

/** A tool call the model "decides" to make; `arguments` is sent JSON-encoded, as OpenAI does. */
export interface ToolCallSpec {
  name: string;
  arguments: Record<string, unknown>;
}

/** Token usage reported for a step; when omitted the server estimates it from the text length. */
export interface UsageSpec {
  promptTokens: number;
  completionTokens: number;
}

interface StepTiming {
  /** Wait this long before answering (the response headers are not sent before). */
  delayMs?: number;
}

/** The model answers with text and ends its turn (`finish_reason: "stop"`). */
export interface TextStep extends StepTiming {
  text: string;
  usage?: UsageSpec;
}

/** The model asks for tools (`finish_reason: "tool_calls"`), optionally with some text first. */
export interface ToolCallsStep extends StepTiming {
  toolCalls: ToolCallSpec[];
  text?: string;
  usage?: UsageSpec;
}

/** The provider fails with an HTTP error, e.g. to test failover (500), rate limits (429), auth (401). */
export interface ErrorStep extends StepTiming {
  error: {
    status: number;
    message: string;
    /** Sent as `retry-after-ms` / `retry-after` headers. */
    retryAfterMs?: number;
  };
}

export type Step = TextStep | ToolCallsStep | ErrorStep;

/** The steps of one conversation, played in order: request n gets step n. */
export type Script = readonly Step[];

/** Several named scripts; `default` is played when a request carries no `[script:NAME]` marker. */
export interface ScriptBook {
  scripts: Readonly<Record<string, Script>>;
  default?: string;
}

/** What a step function sees: the parsed request and where it is in its conversation. */
export interface StepRequest {
  /** The parsed chat-completions request body. */
  body: ChatCompletionRequest;
  /** 0 for the first request of this conversation, 1 for the next, ... */
  index: number;
  /** Text of the first user message ('' when there is none). */
  firstUserMessage: string;
  /** The `[script:NAME]` marker's name, if the first user message has one. */
  scriptName?: string;
}

export type StepFunction = (request: StepRequest) => Step | Promise<Step>;

/** Anything `startScriptedModel` can play. */
export type ScriptSource = Script | ScriptBook | StepFunction;

/** The part of an OpenAI chat-completions request the scripted model looks at. */
export interface ChatCompletionRequest {
  model?: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: unknown[];
  [key: string]: unknown;
}

export interface ChatMessage {
  role: string;
  content?: string | Array<{ type: string; text?: string }> | null;
  [key: string]: unknown;
}

export function isErrorStep(step: Step): step is ErrorStep {
  return 'error' in step;
}

export function isToolCallsStep(step: Step): step is ToolCallsStep {
  return 'toolCalls' in step;
}
