import type { ChatCompletionRequest, TextStep, ToolCallsStep } from './script';
import { isToolCallsStep } from './script';

/** How the server names itself wherever a client can see it. */
export const SCRIPTED_MODEL_IDENTITY = 'scripted model (offline)';

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface WireContext {
  /** Completion id, shared by every chunk of one response. */
  id: string;
  model: string;
  created: number;
  /** Prefix of tool call ids; ids are `${toolCallIdPrefix}_${i}`. */
  toolCallIdPrefix: string;
}

type AnswerStep = TextStep | ToolCallsStep;

/** Rough, deterministic token estimate (~4 characters a token) used when a step names no usage. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function usageFor(step: AnswerStep, request: ChatCompletionRequest): WireUsage {
  const prompt = step.usage?.promptTokens ?? estimateTokens(JSON.stringify(request.messages));
  const completionText = (step.text ?? '') + (isToolCallsStep(step) ? JSON.stringify(step.toolCalls) : '');
  const completion = step.usage?.completionTokens ?? estimateTokens(completionText);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function toolCallsOf(step: AnswerStep, ctx: WireContext) {
  if (!isToolCallsStep(step)) return [];
  return step.toolCalls.map((call, i) => ({
    id: `${ctx.toolCallIdPrefix}_${i}`,
    name: call.name,
    arguments: JSON.stringify(call.arguments),
  }));
}

/** Splits a string into pieces of about `size` characters so clients see several deltas. */
export function splitIntoPieces(text: string, size: number): string[] {
  if (text.length === 0) return [];
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** The non-streaming `chat.completion` object. */
export function completionBody(step: AnswerStep, ctx: WireContext, usage: WireUsage): Record<string, unknown> {
  const calls = toolCallsOf(step, ctx);
  const message: Record<string, unknown> = { role: 'assistant', content: step.text ?? null };
  if (calls.length > 0) {
    message.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  return {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    system_fingerprint: SCRIPTED_MODEL_IDENTITY,
    choices: [{ index: 0, message, logprobs: null, finish_reason: calls.length > 0 ? 'tool_calls' : 'stop' }],
    usage,
  };
}

/**
 * The `chat.completion.chunk` objects of a streamed answer, in OpenAI's order: a role chunk, text
 * deltas, per tool call a header delta (id, name) then argument deltas, a finish chunk, and last a
 * chunk with empty `choices` and the `usage` (sent whether or not `stream_options.include_usage`
 * was asked for; OpenAI clients accept it either way).
 */
export function completionChunks(step: AnswerStep, ctx: WireContext, usage: WireUsage): Record<string, unknown>[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: ctx.id,
    object: 'chat.completion.chunk',
    created: ctx.created,
    model: ctx.model,
    system_fingerprint: SCRIPTED_MODEL_IDENTITY,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const chunks: Record<string, unknown>[] = [chunk({ role: 'assistant', content: '' })];
  for (const piece of splitIntoPieces(step.text ?? '', 16)) chunks.push(chunk({ content: piece }));
  const calls = toolCallsOf(step, ctx);
  calls.forEach((call, index) => {
    chunks.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const piece of splitIntoPieces(call.arguments, 24)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  chunks.push(chunk({}, calls.length > 0 ? 'tool_calls' : 'stop'));
  chunks.push({ id: ctx.id, object: 'chat.completion.chunk', created: ctx.created, model: ctx.model, system_fingerprint: SCRIPTED_MODEL_IDENTITY, choices: [], usage });
  return chunks;
}

/** One server-sent event line pair. */
export function sseData(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

/** OpenAI's error body shape, with a `type` chosen from the status like OpenAI does. */
export function errorBody(status: number, message: string): Record<string, unknown> {
  const type =
    status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: null, code: String(status) } };
}
