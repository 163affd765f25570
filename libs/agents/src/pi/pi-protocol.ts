import type { AgentProtocolError } from './errors';

/**
 * The shapes of pi's `--mode rpc` protocol (v0.73) that Godel relies on. Only the fields we read
 * are typed; everything else pi sends is kept on the objects untouched.
 * Source of truth: node_modules/@mariozechner/pi-coding-agent/docs/rpc.md.
 */

/** A command written to pi's stdin. `id` is added by the client. */
export interface PiCommand {
  type: string;
  [field: string]: unknown;
}

/** pi's answer to a command; `id` echoes the command's id (absent for unparsable / unknown commands). */
export interface PiResponse {
  type: 'response';
  id?: string;
  command: string;
  success: boolean;
  data?: unknown;
  error?: string;
}

export interface PiUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  totalTokens: number;
  cost: { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };
}

/** A conversation message: user, assistant, toolResult, bashExecution, ... */
export interface PiMessage {
  role: string;
  content?: unknown;
  /** Assistant messages: why the model stopped. `error` and `aborted` mean the turn failed. */
  stopReason?: 'stop' | 'length' | 'toolUse' | 'error' | 'aborted';
  errorMessage?: string;
  usage?: PiUsage;
  provider?: string;
  model?: string;
  [field: string]: unknown;
}

export interface PiModel {
  id: string;
  name: string;
  api: string;
  provider: string;
  baseUrl: string;
  reasoning: boolean;
  contextWindow: number;
  maxTokens: number;
  [field: string]: unknown;
}

export interface PiState {
  model: PiModel | null;
  thinkingLevel: string;
  isStreaming: boolean;
  isCompacting: boolean;
  steeringMode: string;
  followUpMode: string;
  /** Absent with `--no-session`. */
  sessionFile?: string;
  sessionId: string;
  sessionName?: string;
  autoCompactionEnabled: boolean;
  messageCount: number;
  pendingMessageCount: number;
}

export interface PiSessionStats {
  sessionFile?: string;
  sessionId: string;
  userMessages: number;
  assistantMessages: number;
  toolCalls: number;
  toolResults: number;
  totalMessages: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };
  cost: number;
  contextUsage?: { tokens: number | null; contextWindow: number; percent: number | null };
}

/** Events pi streams on stdout (they never carry an `id`). */
export type PiAgentEvent =
  | { type: 'agent_start' }
  | { type: 'agent_end'; messages: PiMessage[] }
  | { type: 'turn_start' }
  | { type: 'turn_end'; message: PiMessage; toolResults: PiMessage[] }
  | { type: 'message_start'; message: PiMessage }
  | { type: 'message_update'; message: PiMessage; assistantMessageEvent: { type: string; [field: string]: unknown } }
  | { type: 'message_end'; message: PiMessage }
  | { type: 'tool_execution_start'; toolCallId: string; toolName: string; args: Record<string, unknown> }
  | { type: 'tool_execution_update'; toolCallId: string; toolName: string; args: Record<string, unknown>; partialResult: unknown }
  | { type: 'tool_execution_end'; toolCallId: string; toolName: string; result: unknown; isError: boolean }
  | { type: 'queue_update'; steering: string[]; followUp: string[] }
  | { type: 'compaction_start'; reason: string }
  | { type: 'compaction_end'; reason: string; result: unknown; aborted: boolean; willRetry: boolean; errorMessage?: string }
  | { type: 'auto_retry_start'; attempt: number; maxAttempts: number; delayMs: number; errorMessage: string }
  | { type: 'auto_retry_end'; success: boolean; attempt: number; finalError?: string }
  | { type: 'extension_error'; extensionPath: string; event: string; error: string }
  | { type: 'extension_ui_request'; id: string; method: string; [field: string]: unknown };

export type PiAgentEventType = PiAgentEvent['type'];

export const PI_AGENT_EVENT_TYPES: ReadonlySet<string> = new Set<PiAgentEventType>([
  'agent_start',
  'agent_end',
  'turn_start',
  'turn_end',
  'message_start',
  'message_update',
  'message_end',
  'tool_execution_start',
  'tool_execution_update',
  'tool_execution_end',
  'queue_update',
  'compaction_start',
  'compaction_end',
  'auto_retry_start',
  'auto_retry_end',
  'extension_error',
  'extension_ui_request',
]);

/** An event type this client does not know (a newer pi); kept whole so nothing is lost. */
export interface PiUnknownEvent {
  type: 'unknown_event';
  raw: Record<string, unknown>;
}

/** stdout carried something that is not a protocol record; the process keeps running. */
export interface PiProtocolErrorEvent {
  type: 'protocol_error';
  error: AgentProtocolError;
  /** The offending line (cut to 2,000 characters). */
  line: string;
}

/** Everything `PiRpcProcess` emits, in stdout order. */
export type PiEvent = PiAgentEvent | PiUnknownEvent | PiProtocolErrorEvent;
