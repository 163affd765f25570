import { readFile } from 'node:fs/promises';
import type { PiEvent } from '../pi/pi-protocol';
import { GUARD_DENIED, GUARD_NOTIFY_PREFIX, GUARD_REASON_PREFIX, type GuardDenial } from './guard-protocol';

/**
 * The `guard.denied` records of a guard log, oldest first. A missing file means no denial yet;
 * lines that are not complete records (a line being written right now) are skipped.
 */
export async function readGuardDenials(logFile: string): Promise<GuardDenial[]> {
  let text: string;
  try {
    text = await readFile(logFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const denials: GuardDenial[] = [];
  for (const line of text.split('\n')) {
    const record = parseRecord(line);
    if (record) denials.push(record);
  }
  return denials;
}

/**
 * The denial carried by an `extension_ui_request` notify event the guard sent on pi's stdout, else
 * undefined. Same record as the log line. Only pi's process writes these events, so a tool's
 * output cannot fake one.
 */
export function guardDenialFromEvent(event: PiEvent): GuardDenial | undefined {
  if (event.type !== 'extension_ui_request' || event.method !== 'notify') return undefined;
  const message = event.message;
  if (typeof message !== 'string' || !message.startsWith(GUARD_NOTIFY_PREFIX)) return undefined;
  return parseRecord(message.slice(GUARD_NOTIFY_PREFIX.length));
}

/**
 * True for the `tool_execution_end` of a tool call the guard refused (an error result whose text
 * starts with the guard's marker). A hint for live views: a failing bash command could print the
 * same marker. For a record, match `toolCallId` against guardDenialFromEvent or the log.
 */
export function isGuardDenial(event: PiEvent): event is Extract<PiEvent, { type: 'tool_execution_end' }> {
  if (event.type !== 'tool_execution_end' || !event.isError) return false;
  const content = (event.result as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return false;
  const first = content[0] as { type?: unknown; text?: unknown } | undefined;
  return first?.type === 'text' && typeof first.text === 'string' && first.text.startsWith(GUARD_REASON_PREFIX);
}

function parseRecord(text: string): GuardDenial | undefined {
  if (text.trim() === '') return undefined;
  try {
    const value = JSON.parse(text) as Partial<GuardDenial> | null;
    if (value && typeof value === 'object' && value.type === GUARD_DENIED && typeof value.toolName === 'string' && typeof value.reason === 'string') {
      return value as GuardDenial;
    }
  } catch {
    // not a complete record
  }
  return undefined;
}
