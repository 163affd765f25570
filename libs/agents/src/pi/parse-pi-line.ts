import { PI_AGENT_EVENT_TYPES, type PiAgentEvent, type PiResponse, type PiUnknownEvent } from './pi-protocol';

export type ParsedPiLine =
  | { kind: 'response'; response: PiResponse }
  | { kind: 'event'; event: PiAgentEvent | PiUnknownEvent }
  | { kind: 'garbage'; reason: string }
  | { kind: 'blank' };

/** Classifies one stdout record of `pi --mode rpc`. Never throws. */
export function parsePiLine(line: string): ParsedPiLine {
  if (line.trim() === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { kind: 'garbage', reason: `not JSON (${(err as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'garbage', reason: 'a JSON value that is not an object' };
  }
  const record = value as Record<string, unknown>;
  if (typeof record.type !== 'string') return { kind: 'garbage', reason: 'an object without a string "type"' };
  if (record.type === 'response') {
    if (typeof record.command !== 'string' || typeof record.success !== 'boolean') {
      return { kind: 'garbage', reason: 'a response without "command" and boolean "success"' };
    }
    if (record.id !== undefined && typeof record.id !== 'string') return { kind: 'garbage', reason: 'a response whose "id" is not a string' };
    return { kind: 'response', response: value as PiResponse };
  }
  if (PI_AGENT_EVENT_TYPES.has(record.type)) return { kind: 'event', event: value as PiAgentEvent };
  return { kind: 'event', event: { type: 'unknown_event', raw: record } };
}
